-- The outbox of one service (libs/common/outbox.py), in the service's own schema: work handed to another
-- service or to a later moment, written in the same transaction as the change that causes it.
CREATE TABLE {outbox} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL,
    -- The handler that runs the row; a process claims only the kinds it registered.
    kind text NOT NULL,
    -- A protobuf message: its full type name and its serialized bytes.
    payload_type text NOT NULL,
    payload bytea NOT NULL,
    -- A second row with the same key is not written: the caller's step is retried safely.
    dedupe_key text UNIQUE,
    -- A row waits while an older row with the same key is not done: one key's work goes out in order.
    ordering_key text,
    -- Pending rows of one group can be cancelled together (a moved visit's reminders).
    group_key text,
    -- W3C trace context of the request that wrote the row; its handler continues that trace.
    trace_context jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    -- NULL: tried until it is done (or fails for good).
    max_attempts integer CHECK (max_attempts > 0),
    -- When the row first became due, and when it may be tried next (later after each failure).
    scheduled_at timestamptz NOT NULL,
    not_before timestamptz NOT NULL,
    -- A worker's lease: until then the row is its own; a killed worker's lease simply runs out.
    locked_until timestamptz,
    claim uuid,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    done_at timestamptz
);
CREATE INDEX outbox_due ON {outbox} (not_before, id) WHERE status = 'pending';
CREATE INDEX outbox_ordering ON {outbox} (ordering_key, id) WHERE status = 'pending' AND ordering_key IS NOT NULL;
CREATE INDEX outbox_group ON {outbox} (group_key) WHERE status = 'pending' AND group_key IS NOT NULL;
