-- Interactive list messages (WhatsApp: a button opening up to 10 rows), e.g. visit times to pick from.
ALTER TABLE supervisor.outbound_messages DROP CONSTRAINT outbound_messages_kind_check;
ALTER TABLE supervisor.outbound_messages
    ADD CONSTRAINT outbound_messages_kind_check CHECK (kind IN ('text', 'template', 'interactive', 'list'));
-- {"button": label, "section": title, "rows": [{"id", "title", "description"}]} of a `list` reply.
ALTER TABLE supervisor.outbound_messages ADD COLUMN list_menu jsonb;
