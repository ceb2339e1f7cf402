SELECT id, coalesce(tenant, '') AS tenant, source, reason, payload, received_at
FROM ingest.dead_letters
WHERE (%(tenant)s::text IS NULL OR tenant = %(tenant)s)
  AND (%(before_at)s::timestamptz IS NULL OR (received_at, id) < (%(before_at)s, %(before_id)s::uuid))
ORDER BY received_at DESC, id DESC
LIMIT %(limit)s
