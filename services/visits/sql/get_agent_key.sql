SELECT key FROM visits.agents WHERE tenant = %(tenant)s AND user_id = %(user_id)s
