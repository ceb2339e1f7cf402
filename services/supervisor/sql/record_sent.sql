-- The provider accepted the reply: the job is done whoever held it, and the first provider id is kept.
WITH job AS (
    UPDATE supervisor.delivery_jobs SET done_at = now(), locked_until = NULL, last_error = ''
    WHERE id = %(job_id)s AND done_at IS NULL
)
UPDATE supervisor.outbound_messages o SET
    provider = %(provider)s,
    provider_message_id = %(provider_message_id)s,
    status = CASE WHEN supervisor.status_rank(o.status) < supervisor.status_rank('sent') THEN 'sent' ELSE o.status END,
    updated_at = now()
WHERE o.id = %(outbound_id)s AND o.provider_message_id IS NULL
RETURNING o.id
