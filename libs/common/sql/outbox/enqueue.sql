-- One row, in the caller's transaction; a dedupe key used before writes nothing and returns no row.
INSERT INTO {outbox} (
    tenant, kind, payload_type, payload, dedupe_key, ordering_key, group_key, trace_context, max_attempts,
    scheduled_at, not_before, created_at
) VALUES (
    %(tenant)s, %(kind)s, %(payload_type)s, %(payload)s, %(dedupe_key)s, %(ordering_key)s, %(group_key)s,
    %(trace_context)s, %(max_attempts)s, %(not_before)s, %(not_before)s, %(now)s
)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
