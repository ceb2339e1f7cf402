SELECT id, code, name, location FROM ingest.projects WHERE tenant = %(tenant)s ORDER BY code
