-- Due rows, oldest first; a ticket's changes go one at a time in order (a later row waits while an
-- earlier one of the same ticket and kind is pending), and replicas skip rows another one holds.
SELECT o.id, o.tenant, o.ticket_id, o.dedupe_key, o.kind, o.payload, o.attempts, o.trace_context
FROM visits.outbox o
WHERE o.status = 'pending' AND o.next_attempt_at <= now()
  AND (%(ids)s::bigint[] IS NULL OR o.id = ANY(%(ids)s))
  AND NOT EXISTS (
      SELECT 1 FROM visits.outbox e
      WHERE e.ticket_id = o.ticket_id AND e.kind = o.kind AND e.status = 'pending' AND e.id < o.id
  )
ORDER BY o.id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
