SELECT * FROM ingest.tenants WHERE slug = %(slug)s
