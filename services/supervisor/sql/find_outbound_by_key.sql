SELECT o.id, o.tenant, o.idempotency_key, o.request_hash, o.ticket_id, o.message_id, o.actor, o.author_user_id,
    o.to_phone, o.channel, o.kind, o.text, o.template, o.buttons, o.list_menu, o.status, o.provider, o.provider_message_id,
    o.error_code, o.error_title, coalesce(s.attempts, 0) AS attempts, o.created_at, o.updated_at
FROM supervisor.outbound_messages o
LEFT JOIN supervisor.outbox s ON s.dedupe_key = 'send:' || o.id::text
WHERE o.tenant = %(tenant)s AND o.idempotency_key = %(idempotency_key)s
