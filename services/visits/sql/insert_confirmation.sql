INSERT INTO visits.visit_confirmations (tenant, proposal_id, confirmed_by, channel)
VALUES (%(tenant)s, %(proposal_id)s, %(confirmed_by)s, %(channel)s)
RETURNING *
