SELECT count(*) FROM visits.visit_proposals WHERE tenant = %(tenant)s AND status IN ('proposed', 'confirmed')
