UPDATE visits.outbox SET status = %(status)s, done_at = now(), attempts = attempts + 1, last_error = %(error)s
WHERE id = %(id)s
