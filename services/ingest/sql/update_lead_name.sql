UPDATE ingest.leads SET name = %(name)s
WHERE id = %(lead_id)s AND name IS DISTINCT FROM %(name)s
