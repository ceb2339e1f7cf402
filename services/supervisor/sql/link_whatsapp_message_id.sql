-- A status naming the reply by its send id and by WhatsApp's: the reply learns the WhatsApp id (once).
UPDATE supervisor.outbound_messages o SET whatsapp_message_id = %(whatsapp_message_id)s
WHERE o.tenant = %(tenant)s AND o.provider = %(provider)s AND o.provider_message_id = %(provider_message_id)s
  AND o.whatsapp_message_id IS NULL
  AND NOT EXISTS (
      SELECT FROM supervisor.outbound_messages other
      WHERE other.tenant = o.tenant AND other.provider = o.provider
        AND other.whatsapp_message_id = %(whatsapp_message_id)s
  )
