INSERT INTO ingest.tenants AS t (
    slug, name, region, timezone, meta_phone_number_id, meta_app_secret, meta_verify_token, gupshup_app, gupshup_token
) VALUES (
    %(slug)s, %(name)s, %(region)s, %(timezone)s, %(meta_phone_number_id)s, %(meta_app_secret)s,
    %(meta_verify_token)s, %(gupshup_app)s, %(gupshup_token)s
)
ON CONFLICT (slug) DO UPDATE SET
    name = EXCLUDED.name,
    region = EXCLUDED.region,
    timezone = EXCLUDED.timezone,
    meta_phone_number_id = EXCLUDED.meta_phone_number_id,
    meta_app_secret = EXCLUDED.meta_app_secret,
    meta_verify_token = EXCLUDED.meta_verify_token,
    gupshup_app = EXCLUDED.gupshup_app,
    gupshup_token = EXCLUDED.gupshup_token,
    updated_at = now()
RETURNING t.*, (xmax = 0) AS created
