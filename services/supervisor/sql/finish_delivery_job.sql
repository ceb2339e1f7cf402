UPDATE supervisor.delivery_jobs SET done_at = now(), locked_until = NULL, last_error = %(error)s
WHERE id = %(job_id)s AND done_at IS NULL
