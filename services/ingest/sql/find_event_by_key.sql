SELECT id, type, correlation_id, payload, created_at
FROM ingest.events
WHERE tenant = %(tenant)s AND dedupe_key = %(dedupe_key)s AND ticket_id = %(ticket_id)s
