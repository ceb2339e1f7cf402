-- The provider accepted the reply: whoever holds its send row, the first provider id is kept.
UPDATE supervisor.outbound_messages o SET
    provider = %(provider)s,
    provider_message_id = %(provider_message_id)s,
    status = CASE WHEN supervisor.status_rank(o.status) < supervisor.status_rank('sent') THEN 'sent' ELSE o.status END,
    updated_at = now()
WHERE o.id = %(outbound_id)s AND o.provider_message_id IS NULL
RETURNING o.id
