INSERT INTO visits.calendar_tokens (tenant, agent_key, token_sha256) VALUES (%(tenant)s, %(agent_key)s, %(token_sha256)s)
