-- The asset a lead's first message names: the ad it clicked (click-to-WhatsApp referral) first, then an explicit
-- code, else its code or keyword as whole words of the text (so a short code like "A1" doesn't match inside "casa1").
SELECT id, project_id
FROM ingest.marketing_assets
WHERE tenant = %(tenant)s
  AND (
      ad_id = %(ad_id)s
      OR code = %(asset_code)s
      OR lower(%(text)s) ~ ('(^|[^[:alnum:]])' || regexp_replace(lower(code), '([.-])', '\\\1', 'g') || '($|[^[:alnum:]])')
      OR (
          keyword <> ''
          AND lower(%(text)s) ~ ('(^|[^[:alnum:]])' || regexp_replace(lower(keyword), '([^[:alnum:][:space:]])', '\\\1', 'g') || '($|[^[:alnum:]])')
      )
  )
ORDER BY (ad_id = %(ad_id)s) IS TRUE DESC, (code = %(asset_code)s) DESC, length(keyword) DESC, code
LIMIT 1
