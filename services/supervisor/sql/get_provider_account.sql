SELECT provider, sender_id, secret, app_name, base_url
FROM supervisor.provider_accounts
WHERE tenant = %(tenant)s AND provider = %(provider)s
