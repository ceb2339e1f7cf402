INSERT INTO visits.offered_slots (token, offer_id, tenant, ticket_id, agent_key, starts_at, ends_at)
SELECT r.token, %(offer_id)s, %(tenant)s, %(ticket_id)s, r.agent_key, r.starts_at, r.ends_at
FROM unnest(%(tokens)s::text[], %(agent_keys)s::bigint[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
    AS r(token, agent_key, starts_at, ends_at)
