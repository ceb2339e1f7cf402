DELETE FROM visits.project_agents WHERE tenant = %(tenant)s AND project_code = %(project_code)s
