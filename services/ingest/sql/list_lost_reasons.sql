SELECT code, label FROM ingest.lost_reasons WHERE tenant = %(tenant)s ORDER BY position, code
