-- Replies go to the lead's channel address: a WhatsApp id (digits as WhatsApp keys the account, which is not
-- always an E.164 number) or a business-scoped user id. The column keeps its name; it holds that address.
ALTER TABLE supervisor.outbound_messages DROP CONSTRAINT outbound_messages_to_phone_check;
ALTER TABLE supervisor.outbound_messages ADD CONSTRAINT outbound_messages_to_address_check
    CHECK (to_phone ~ '^(\+?[0-9]{7,20}|[A-Z]{2}(\.ENT)?\.[A-Za-z0-9]{1,128})$');
-- Gupshup names a reply by its own id (what its send API returned) and by WhatsApp's; a status naming both
-- teaches the reply the WhatsApp id, so later statuses naming only that one still find it.
ALTER TABLE supervisor.outbound_messages ADD COLUMN whatsapp_message_id text;
CREATE UNIQUE INDEX outbound_messages_whatsapp_id
    ON supervisor.outbound_messages (tenant, provider, whatsapp_message_id) WHERE whatsapp_message_id IS NOT NULL;
