-- The asset a lead's first message names: an explicit code first, else its code or keyword in the text.
SELECT id, project_id
FROM ingest.marketing_assets
WHERE tenant = %(tenant)s
  AND (
      code = %(asset_code)s
      OR strpos(lower(%(text)s), lower(code)) > 0
      OR (keyword <> '' AND strpos(lower(%(text)s), lower(keyword)) > 0)
  )
ORDER BY (code = %(asset_code)s) DESC, length(keyword) DESC, code
LIMIT 1
