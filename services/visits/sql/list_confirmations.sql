SELECT c.* FROM visits.visit_confirmations c
JOIN visits.visit_proposals p ON p.id = c.proposal_id
WHERE p.tenant = %(tenant)s AND p.ticket_id = %(ticket_id)s
ORDER BY c.confirmed_at, c.id
