SELECT a.id, a.code, a.name, a.keyword, a.channel, coalesce(p.code, '') AS project_code, a.ad_id
FROM ingest.marketing_assets a
LEFT JOIN ingest.projects p ON p.id = a.project_id
WHERE a.tenant = %(tenant)s
ORDER BY a.code
