SELECT * FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND ticket_id = %(ticket_id)s AND reply_token = %(reply_token)s
