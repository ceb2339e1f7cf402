INSERT INTO ingest.projects AS p (tenant, code, name, location)
VALUES (%(tenant)s, %(code)s, %(name)s, %(location)s)
ON CONFLICT (tenant, code) DO UPDATE SET name = EXCLUDED.name, location = EXCLUDED.location
RETURNING p.id, p.code, p.name, p.location
