INSERT INTO ingest.marketing_assets AS a (tenant, code, name, keyword, project_id, channel, ad_id)
VALUES (
    %(tenant)s, %(code)s, %(name)s, %(keyword)s,
    (SELECT id FROM ingest.projects WHERE tenant = %(tenant)s AND code = %(project_code)s),
    %(channel)s, %(ad_id)s
)
ON CONFLICT (tenant, code) DO UPDATE SET
    name = EXCLUDED.name, keyword = EXCLUDED.keyword, project_id = EXCLUDED.project_id, channel = EXCLUDED.channel,
    ad_id = EXCLUDED.ad_id
RETURNING a.id, a.code, a.name, a.keyword, a.channel,
    (SELECT code FROM ingest.projects WHERE id = a.project_id) AS project_code, a.ad_id
