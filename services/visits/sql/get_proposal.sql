SELECT * FROM visits.visit_proposals WHERE tenant = %(tenant)s AND id = %(proposal_id)s
