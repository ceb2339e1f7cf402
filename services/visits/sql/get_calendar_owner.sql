-- The live token's agent (any tenant: the feed URL is all the caller has).
SELECT a.key, a.tenant, a.user_id, a.name, a.role, a.active, a.synced_at
FROM visits.calendar_tokens t JOIN visits.agents a ON a.key = t.agent_key
WHERE t.token_sha256 = %(token_sha256)s AND t.revoked_at IS NULL
