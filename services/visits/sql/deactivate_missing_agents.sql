-- Ids supervisor no longer lists (or never did: made up before agents were checked) can't be booked.
UPDATE visits.agents SET active = false, synced_at = now()
WHERE tenant = %(tenant)s AND NOT (user_id = ANY(%(user_ids)s::text[])) AND active
