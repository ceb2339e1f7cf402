-- The reply can't be delivered: `failed` with the provider's code and title, only by the job's holder.
WITH job AS (
    UPDATE supervisor.delivery_jobs SET done_at = now(), locked_until = NULL, last_error = %(error)s
    WHERE id = %(job_id)s AND claim = %(claim)s AND done_at IS NULL
    RETURNING outbound_id
)
UPDATE supervisor.outbound_messages o SET
    status = 'failed', error_code = %(error_code)s, error_title = %(error_title)s, updated_at = now()
FROM job
WHERE o.id = job.outbound_id AND o.status = 'pending'
RETURNING o.id
