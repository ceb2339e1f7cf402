INSERT INTO supervisor.delivery_statuses (
    tenant, provider, provider_message_id, status, status_at, error_code, error_title, raw
) VALUES (
    %(tenant)s, %(provider)s, %(provider_message_id)s, %(status)s, %(status_at)s, %(error_code)s, %(error_title)s,
    %(raw)s
)
ON CONFLICT (tenant, provider, provider_message_id, status) DO NOTHING
