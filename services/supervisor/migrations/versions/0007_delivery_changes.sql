-- The delivery feed behind WatchDeliveries: a notification, sent at commit, whenever a reply's delivery
-- status moves or it gets its place in the timeline. "tenant ticket_id outbound_id" is far below NOTIFY's limit.
CREATE FUNCTION supervisor.notify_outbound() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('v360_supervisor_deliveries', NEW.tenant || ' ' || NEW.ticket_id || ' ' || NEW.id);
    RETURN NULL;
END
$$;
CREATE TRIGGER outbound_messages_notify AFTER UPDATE OF status, message_id ON supervisor.outbound_messages
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.message_id IS DISTINCT FROM NEW.message_id)
    EXECUTE FUNCTION supervisor.notify_outbound();
