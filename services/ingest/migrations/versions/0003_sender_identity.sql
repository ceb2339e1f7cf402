-- Sender ids (docs/architecture.md, "Sender ids"): a lead is one person whatever form WhatsApp names it by.
-- `identity` is the lead's key: its canonical E.164, or "wa:<digits>" for a WhatsApp id no numbering plan
-- allows, or "bsuid:<id>" for a user WhatsApp names only by a business-scoped user id (usernames).
ALTER TABLE ingest.leads
    ADD COLUMN identity text,
    -- The WhatsApp id as WhatsApp keys the account (e.g. Mexico's "521…"): where replies go.
    ADD COLUMN wa_id text,
    -- The business-scoped user id (BSUID); several leads never share one in practice, but it is no key.
    ADD COLUMN user_id text,
    ADD COLUMN username text NOT NULL DEFAULT '',
    -- The click-to-WhatsApp ad the lead first came from, as its first message named it.
    ADD COLUMN referral jsonb;
UPDATE ingest.leads SET identity = phone_e164;
ALTER TABLE ingest.leads
    ALTER COLUMN identity SET NOT NULL,
    ALTER COLUMN phone_e164 DROP NOT NULL,
    DROP CONSTRAINT leads_tenant_phone_e164_key,
    ADD CONSTRAINT leads_identity_key UNIQUE (tenant, identity),
    ADD CHECK (identity ~ '^(\+[1-9][0-9]{6,14}|wa:[0-9]{7,20}|bsuid:.+)$');
CREATE INDEX leads_user_id ON ingest.leads (tenant, user_id) WHERE user_id IS NOT NULL;

-- The Meta ad id whose click-to-WhatsApp referrals name this asset.
ALTER TABLE ingest.marketing_assets ADD COLUMN ad_id text;
CREATE UNIQUE INDEX marketing_assets_ad_id ON ingest.marketing_assets (tenant, ad_id) WHERE ad_id IS NOT NULL;
