SELECT *
FROM ingest.tenants
WHERE meta_phone_number_id = %(meta_phone_number_id)s
   OR gupshup_app = %(gupshup_app)s
   OR gupshup_token = %(gupshup_token)s
   OR meta_verify_token = %(meta_verify_token)s
ORDER BY slug
LIMIT 2
