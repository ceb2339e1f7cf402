UPDATE supervisor.delivery_jobs SET
    locked_until = NULL, next_attempt_at = now() + make_interval(secs => %(delay_seconds)s), last_error = %(error)s
WHERE outbound_id = %(outbound_id)s AND kind = 'append' AND claim = %(claim)s AND done_at IS NULL
