SELECT * FROM ingest.tenants ORDER BY slug
