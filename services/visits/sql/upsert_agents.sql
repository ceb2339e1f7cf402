-- The tenant's users as supervisor listed them; an agent's key never changes once given. Rows that
-- already say the same are left alone (a lookup that finds nothing new writes nothing).
INSERT INTO visits.agents AS a (tenant, user_id, name, role, active, synced_at)
SELECT %(tenant)s, u.user_id, u.name, u.role, u.active, now()
FROM unnest(%(user_ids)s::text[], %(names)s::text[], %(roles)s::text[], %(actives)s::boolean[])
    AS u(user_id, name, role, active)
ON CONFLICT (tenant, user_id) DO UPDATE SET
    name = EXCLUDED.name, role = EXCLUDED.role, active = EXCLUDED.active, synced_at = EXCLUDED.synced_at
WHERE (a.name, a.role, a.active) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.role, EXCLUDED.active)
