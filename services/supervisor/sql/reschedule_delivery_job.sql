-- Gives a job back for a later attempt; `refund` when nothing was attempted (an open circuit).
UPDATE supervisor.delivery_jobs SET
    locked_until = NULL,
    next_attempt_at = now() + make_interval(secs => %(delay_seconds)s),
    attempts = attempts - CASE WHEN %(refund)s THEN 1 ELSE 0 END,
    last_error = %(error)s
WHERE id = %(job_id)s AND claim = %(claim)s AND done_at IS NULL
