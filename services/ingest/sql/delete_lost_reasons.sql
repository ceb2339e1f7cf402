DELETE FROM ingest.lost_reasons WHERE tenant = %(tenant)s
