-- What a newer message says about its sender: name, WhatsApp id (the reply address), BSUID, username, the ad it
-- first came from. A lead known only by its BSUID takes the identity a message with a phone reveals, unless
-- another lead already has it.
WITH target AS (
    SELECT l.id, %(identity)s::text IS NOT NULL AND NOT EXISTS (
        SELECT FROM ingest.leads o WHERE o.tenant = l.tenant AND o.identity = %(identity)s AND o.id <> l.id
    ) AS free
    FROM ingest.leads l
    WHERE l.id = %(lead_id)s
)
UPDATE ingest.leads l SET
    name = CASE WHEN %(name)s <> '' THEN %(name)s ELSE l.name END,
    wa_id = coalesce(%(wa_id)s, l.wa_id),
    user_id = coalesce(%(user_id)s, l.user_id),
    username = CASE WHEN %(username)s <> '' THEN %(username)s ELSE l.username END,
    referral = coalesce(l.referral, %(referral)s),
    asset_id = coalesce(
        l.asset_id,
        (SELECT a.id FROM ingest.marketing_assets a WHERE a.tenant = l.tenant AND a.ad_id = %(ad_id)s)
    ),
    identity = CASE WHEN target.free THEN %(identity)s ELSE l.identity END,
    phone_e164 = CASE WHEN target.free THEN %(phone_e164)s ELSE l.phone_e164 END
FROM target
WHERE l.id = target.id
