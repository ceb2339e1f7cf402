SELECT * FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND ticket_id = %(ticket_id)s
ORDER BY created_at, id
