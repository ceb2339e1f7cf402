UPDATE visits.visit_proposals SET lead_id = %(lead_id)s WHERE tenant = %(tenant)s AND id = %(proposal_id)s
