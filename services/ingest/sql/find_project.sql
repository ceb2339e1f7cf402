SELECT id FROM ingest.projects WHERE tenant = %(tenant)s AND code = %(code)s
