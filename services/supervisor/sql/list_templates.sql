SELECT name, language, title, body, parameter_count, active, updated_at, false AS created
FROM supervisor.message_templates
WHERE tenant = %(tenant)s AND (active OR %(include_inactive)s)
ORDER BY title, name, language
