INSERT INTO ingest.dead_letters (tenant, source, reason, payload)
VALUES (%(tenant)s, %(source)s, %(reason)s, %(payload)s)
RETURNING id
