INSERT INTO visits.slot_offers (tenant, ticket_id, project_code, created_by, source_key)
VALUES (%(tenant)s, %(ticket_id)s, %(project_code)s, %(created_by)s, %(source_key)s)
ON CONFLICT (source_key) DO NOTHING
RETURNING id
