INSERT INTO supervisor.message_templates AS m (tenant, name, language, title, body, parameter_count, active)
VALUES (%(tenant)s, %(name)s, %(language)s, %(title)s, %(body)s, %(parameter_count)s, %(active)s)
ON CONFLICT (tenant, name, language) DO UPDATE SET
    title = EXCLUDED.title, body = EXCLUDED.body, parameter_count = EXCLUDED.parameter_count,
    active = EXCLUDED.active, updated_at = now()
RETURNING m.name, m.language, m.title, m.body, m.parameter_count, m.active, m.updated_at, (xmax = 0) AS created
