-- Tickets a batch will touch, locked in id order so concurrent batches never wait on each other in a cycle.
SELECT id FROM ingest.tickets WHERE id = ANY(%(ticket_id)s::uuid[]) ORDER BY id FOR NO KEY UPDATE
