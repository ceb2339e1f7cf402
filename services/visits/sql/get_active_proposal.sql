SELECT * FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND ticket_id = %(ticket_id)s AND status IN ('proposed', 'confirmed')
