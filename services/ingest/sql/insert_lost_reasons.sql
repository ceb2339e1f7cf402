INSERT INTO ingest.lost_reasons (tenant, code, label, position)
SELECT %(tenant)s, code, label, position
FROM unnest(%(code)s::text[], %(label)s::text[]) WITH ORDINALITY AS r (code, label, position)
