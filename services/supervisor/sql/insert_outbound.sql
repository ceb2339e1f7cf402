-- A reply, its append job (leased to the caller, who appends right away) and its send job, all in one
-- statement; a repeated idempotency key inserts nothing and returns no row.
WITH outbound AS (
    INSERT INTO supervisor.outbound_messages (
        tenant, idempotency_key, request_hash, ticket_id, actor, author_user_id, to_phone, channel, kind, text,
        template, buttons
    ) VALUES (
        %(tenant)s, %(idempotency_key)s, %(request_hash)s, %(ticket_id)s, %(actor)s, %(author_user_id)s,
        %(to_phone)s, %(channel)s, %(kind)s, %(text)s, %(template)s, %(buttons)s
    )
    ON CONFLICT (tenant, idempotency_key) DO NOTHING
    RETURNING *
), append_job AS (
    INSERT INTO supervisor.delivery_jobs (
        tenant, outbound_id, ticket_id, kind, attempts, max_attempts, locked_until, claim, trace_context
    )
    SELECT tenant, id, ticket_id, 'append', 1, NULL, now() + make_interval(secs => %(lease_seconds)s), %(claim)s,
        %(trace_context)s
    FROM outbound
), send_job AS (
    INSERT INTO supervisor.delivery_jobs (tenant, outbound_id, ticket_id, kind, max_attempts, trace_context)
    SELECT tenant, id, ticket_id, 'send', %(max_attempts)s, %(trace_context)s
    FROM outbound
)
SELECT id, tenant, idempotency_key, request_hash, ticket_id, message_id, actor, author_user_id, to_phone, channel,
    kind, text, template, buttons, status, provider, provider_message_id, error_code, error_title, 0 AS attempts,
    created_at, updated_at
FROM outbound
