-- The reply is in the ticket timeline: its ingest message id (the first one kept).
UPDATE supervisor.outbound_messages SET message_id = %(message_id)s, updated_at = now()
WHERE id = %(outbound_id)s AND message_id IS NULL
