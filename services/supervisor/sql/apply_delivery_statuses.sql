-- Moves the message named by a provider id to the best status received for it, never back. Both the
-- status path and the worker run this after committing their own write, so a status that arrives
-- before the provider id is recorded is applied by whichever of the two runs last.
UPDATE supervisor.outbound_messages o SET
    status = best.status, error_code = best.error_code, error_title = best.error_title, updated_at = now()
FROM (
    SELECT status, error_code, error_title
    FROM supervisor.delivery_statuses
    WHERE tenant = %(tenant)s AND provider = %(provider)s AND provider_message_id = %(provider_message_id)s
    ORDER BY supervisor.status_rank(status) DESC
    LIMIT 1
) best
WHERE o.tenant = %(tenant)s AND o.provider = %(provider)s AND o.provider_message_id = %(provider_message_id)s
  AND supervisor.status_rank(o.status) < supervisor.status_rank(best.status)
