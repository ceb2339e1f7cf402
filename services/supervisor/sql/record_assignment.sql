INSERT INTO supervisor.ticket_assignments (tenant, ticket_id, user_id, escalated, reason)
VALUES (%(tenant)s, %(ticket_id)s, %(user_id)s, %(escalated)s, %(reason)s)
ON CONFLICT (tenant, ticket_id) DO UPDATE SET
    user_id = EXCLUDED.user_id, escalated = EXCLUDED.escalated, reason = EXCLUDED.reason, updated_at = now()
