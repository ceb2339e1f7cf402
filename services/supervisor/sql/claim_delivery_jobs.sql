-- Leases up to %(limit)s due jobs to one worker; SKIP LOCKED lets replicas share the queue. A ticket's
-- replies go out in the order they were written: a send waits while an older send of its ticket is open.
WITH due AS (
    SELECT j.id
    FROM supervisor.delivery_jobs j
    WHERE j.done_at IS NULL AND j.next_attempt_at <= now()
      AND (j.locked_until IS NULL OR j.locked_until <= now())
      AND (j.kind = 'append' OR NOT EXISTS (
          SELECT 1 FROM supervisor.delivery_jobs older
          WHERE older.ticket_id = j.ticket_id AND older.kind = 'send' AND older.done_at IS NULL AND older.id < j.id
      ))
    ORDER BY j.next_attempt_at, j.id
    LIMIT %(limit)s
    FOR UPDATE OF j SKIP LOCKED
)
UPDATE supervisor.delivery_jobs j SET
    attempts = j.attempts + 1,
    locked_until = now() + make_interval(secs => %(lease_seconds)s),
    claim = %(claim)s
FROM due, supervisor.outbound_messages o
WHERE j.id = due.id AND o.id = j.outbound_id
RETURNING j.id, j.kind, j.attempts, j.max_attempts, j.claim, o.id AS outbound_id, o.tenant, o.ticket_id,
    o.message_id, o.actor, o.author_user_id, o.to_phone, o.channel, o.kind AS message_kind, o.text, o.template,
    o.buttons, o.status, o.provider_message_id, j.trace_context
