-- Gives a row back for a later try; `refund` when nothing was attempted (an open circuit).
UPDATE {outbox} SET
    locked_until = NULL,
    not_before = %(now)s + make_interval(secs => %(delay_seconds)s),
    attempts = attempts - CASE WHEN %(refund)s THEN 1 ELSE 0 END,
    last_error = %(error)s
WHERE id = %(id)s AND claim = %(claim)s AND status = 'pending'
