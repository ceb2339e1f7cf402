-- Every pending row of a group, in the caller's transaction (a row being handled right now finishes,
-- but is recorded as cancelled).
UPDATE {outbox} SET status = 'cancelled', done_at = %(now)s, locked_until = NULL
WHERE group_key = %(group_key)s AND status = 'pending'
