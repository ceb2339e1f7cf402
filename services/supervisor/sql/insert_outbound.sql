-- A reply, once per idempotency key: a repeated key inserts nothing and returns no row. Its `append` and
-- `send` outbox rows are written in the same transaction (SupervisorService.send_reply).
INSERT INTO supervisor.outbound_messages (
    tenant, idempotency_key, request_hash, ticket_id, actor, author_user_id, to_phone, channel, kind, text,
    template, buttons, list_menu
) VALUES (
    %(tenant)s, %(idempotency_key)s, %(request_hash)s, %(ticket_id)s, %(actor)s, %(author_user_id)s,
    %(to_phone)s, %(channel)s, %(kind)s, %(text)s, %(template)s, %(buttons)s, %(list_menu)s
)
ON CONFLICT (tenant, idempotency_key) DO NOTHING
RETURNING id, tenant, idempotency_key, request_hash, ticket_id, message_id, actor, author_user_id, to_phone, channel,
    kind, text, template, buttons, list_menu, status, provider, provider_message_id, error_code, error_title, 0 AS attempts,
    created_at, updated_at
