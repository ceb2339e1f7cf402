-- The reply can't be delivered: `failed` with the provider's code and title, only while this worker's
-- claim still holds the reply's send row (a worker whose lease was taken over changes nothing).
UPDATE supervisor.outbound_messages o SET
    status = 'failed', error_code = %(error_code)s, error_title = %(error_title)s, updated_at = now()
WHERE o.id = %(outbound_id)s AND o.status = 'pending'
  AND EXISTS (
      SELECT 1 FROM supervisor.outbox s
      WHERE s.id = %(row_id)s AND s.claim = %(claim)s AND s.status = 'pending'
  )
RETURNING o.id
