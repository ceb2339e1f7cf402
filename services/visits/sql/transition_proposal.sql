-- A status change only from the expected statuses: the row's current status decides, in one statement.
UPDATE visits.visit_proposals SET status = %(to_status)s, updated_at = now()
WHERE tenant = %(tenant)s AND id = %(proposal_id)s AND status = ANY(%(from_statuses)s::visits.visit_proposal_status[])
RETURNING *
