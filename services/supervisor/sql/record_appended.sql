-- The reply is in the ticket timeline: its ingest message id, and the append job done.
WITH job AS (
    UPDATE supervisor.delivery_jobs SET done_at = now(), locked_until = NULL, last_error = ''
    WHERE outbound_id = %(outbound_id)s AND kind = 'append' AND done_at IS NULL
)
UPDATE supervisor.outbound_messages SET message_id = %(message_id)s, updated_at = now()
WHERE id = %(outbound_id)s AND message_id IS NULL
