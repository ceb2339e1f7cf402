-- The asset a lead's first message names: an explicit code first, else its code or keyword as whole
-- words of the text (so a short code like "A1" doesn't match inside "casa1").
SELECT id, project_id
FROM ingest.marketing_assets
WHERE tenant = %(tenant)s
  AND (
      code = %(asset_code)s
      OR lower(%(text)s) ~ ('(^|[^[:alnum:]])' || regexp_replace(lower(code), '([.-])', '\\\1', 'g') || '($|[^[:alnum:]])')
      OR (
          keyword <> ''
          AND lower(%(text)s) ~ ('(^|[^[:alnum:]])' || regexp_replace(lower(keyword), '([^[:alnum:][:space:]])', '\\\1', 'g') || '($|[^[:alnum:]])')
      )
  )
ORDER BY (code = %(asset_code)s) DESC, length(keyword) DESC, code
LIMIT 1
