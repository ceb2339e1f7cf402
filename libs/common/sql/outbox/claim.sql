-- Leases up to %(limit)s due rows of the given kinds (or only the given ids / dedupe keys) to one claim.
-- SKIP LOCKED lets replicas share the table; a row with an ordering key waits while an older row with
-- the same key is not done, so one key's rows are handled one at a time, in the order they were written.
WITH due AS (
    SELECT o.id
    FROM {outbox} o
    WHERE o.status = 'pending' AND o.kind = ANY(%(kinds)s) AND o.not_before <= %(now)s
      AND (o.locked_until IS NULL OR o.locked_until <= %(now)s)
      AND ((%(ids)s::bigint[] IS NULL AND %(keys)s::text[] IS NULL)
           OR o.id = ANY(%(ids)s::bigint[]) OR o.dedupe_key = ANY(%(keys)s::text[]))
      AND (o.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM {outbox} older
          WHERE older.ordering_key = o.ordering_key AND older.status = 'pending' AND older.id < o.id
      ))
    ORDER BY o.not_before, o.id
    LIMIT %(limit)s
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE {outbox} o SET
    attempts = o.attempts + 1,
    locked_until = %(now)s + make_interval(secs => %(lease_seconds)s),
    claim = %(claim)s
FROM due
WHERE o.id = due.id
RETURNING o.id, o.tenant, o.kind, o.payload_type, o.payload, o.dedupe_key, o.attempts, o.max_attempts,
    o.trace_context, o.claim
