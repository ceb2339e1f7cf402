INSERT INTO ingest.dead_letters AS d (tenant, source, reason, payload, dedupe_key)
VALUES (%(tenant)s, %(source)s, %(reason)s, %(payload)s, %(dedupe_key)s)
ON CONFLICT (dedupe_key) DO UPDATE SET received_at = d.received_at
RETURNING id
