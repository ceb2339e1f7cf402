-- A number change: the lead's reply address and BSUID move to the new ones, and its identity and E.164 too
-- unless another lead already has that identity (the person wrote from the new number before the notice).
WITH target AS (
    SELECT l.id, NOT EXISTS (
        SELECT FROM ingest.leads o WHERE o.tenant = l.tenant AND o.identity = %(identity)s AND o.id <> l.id
    ) AS free
    FROM ingest.leads l
    WHERE l.id = %(lead_id)s
)
UPDATE ingest.leads l SET
    wa_id = coalesce(%(wa_id)s, l.wa_id),
    user_id = coalesce(%(user_id)s, l.user_id),
    identity = CASE WHEN target.free THEN %(identity)s ELSE l.identity END,
    phone_e164 = CASE WHEN target.free THEN %(phone_e164)s ELSE l.phone_e164 END
FROM target
WHERE l.id = target.id
