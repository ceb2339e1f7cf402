INSERT INTO supervisor.provider_accounts (tenant, provider, sender_id, secret, app_name, base_url)
VALUES (%(tenant)s, %(provider)s, %(sender_id)s, %(secret)s, %(app_name)s, %(base_url)s)
ON CONFLICT (tenant, provider) DO UPDATE SET
    sender_id = EXCLUDED.sender_id, secret = EXCLUDED.secret, app_name = EXCLUDED.app_name,
    base_url = EXCLUDED.base_url, updated_at = now()
RETURNING provider, sender_id, secret, app_name, base_url
