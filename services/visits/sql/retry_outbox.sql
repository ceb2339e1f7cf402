UPDATE visits.outbox SET
    attempts = attempts + 1,
    last_error = %(error)s,
    next_attempt_at = now() + make_interval(secs => %(delay_seconds)s)
WHERE id = %(id)s
