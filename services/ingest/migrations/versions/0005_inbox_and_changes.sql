-- Since when the lead waits for an answer: set by their first message after the team's last reply,
-- cleared by the next reply. The console's "oldest waiting first" inbox rides the partial index.
ALTER TABLE ingest.tickets ADD COLUMN waiting_since timestamptz;
UPDATE ingest.tickets SET waiting_since = last_inbound_at WHERE unread_count > 0;
CREATE INDEX tickets_waiting ON ingest.tickets (tenant, waiting_since, id) WHERE waiting_since IS NOT NULL;

-- The change feed: every event row is a committed change of a ticket. One notification per event, sent
-- when the writing transaction commits (in commit order); WatchChanges turns them into stream messages.
-- "tenant ticket_id event_id" stays far below NOTIFY's 8000-byte payload limit.
CREATE FUNCTION ingest.notify_events() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('v360_ingest_changes', e.tenant || ' ' || e.ticket_id || ' ' || e.id)
    FROM (SELECT tenant, ticket_id, id FROM new_events ORDER BY created_at, id) e;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON ingest.events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION ingest.notify_events();
