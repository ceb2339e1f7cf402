-- The row's work is over (done or failed for good), if this claim still holds it.
UPDATE {outbox} SET status = %(status)s, done_at = %(now)s, locked_until = NULL, last_error = %(error)s
WHERE id = %(id)s AND claim = %(claim)s AND status = 'pending'
