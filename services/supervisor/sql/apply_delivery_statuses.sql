-- Moves the reply a provider id names (its send id, or the WhatsApp id a Gupshup status paired it with) to the
-- best status received under any of its ids, never back. Both the status path and the worker run this after
-- committing their own write, so a status that arrives before the provider id is recorded is applied by
-- whichever of the two runs last.
UPDATE supervisor.outbound_messages o SET
    status = best.status, error_code = best.error_code, error_title = best.error_title, updated_at = now()
FROM supervisor.outbound_messages m
CROSS JOIN LATERAL (
    SELECT s.status, s.error_code, s.error_title
    FROM supervisor.delivery_statuses s
    WHERE s.tenant = m.tenant AND s.provider = m.provider
      AND s.provider_message_id IN (m.provider_message_id, m.whatsapp_message_id)
    ORDER BY supervisor.status_rank(s.status) DESC
    LIMIT 1
) best
WHERE m.tenant = %(tenant)s AND m.provider = %(provider)s
  AND (m.provider_message_id = %(provider_message_id)s OR m.whatsapp_message_id = %(provider_message_id)s)
  AND o.id = m.id
  AND supervisor.status_rank(o.status) < supervisor.status_rank(best.status)
