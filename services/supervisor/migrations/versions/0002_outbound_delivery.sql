-- Delivery statuses only move to a higher rank. `failed` sits between `sent` and `delivered`: a failure
-- report outranks `sent`, and a provider's proof that the lead got the message outranks a failure.
CREATE FUNCTION supervisor.status_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE status
        WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'failed' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4
    END
$$;

-- Per-tenant outbound credentials. The tenant record (owned by ingest) has no place for them.
CREATE TABLE supervisor.provider_accounts (
    tenant text NOT NULL,
    provider text NOT NULL CHECK (provider IN ('meta', 'gupshup')),
    -- Meta: the phone_number_id that sends; Gupshup: the source number.
    sender_id text NOT NULL CHECK (sender_id <> ''),
    -- Meta: the access token; Gupshup: the api key.
    secret text NOT NULL CHECK (secret <> ''),
    -- Gupshup's `src.name`.
    app_name text NOT NULL DEFAULT '',
    -- Empty means META_GRAPH_BASE_URL / GUPSHUP_BASE_URL; set, it pins this account to another endpoint.
    base_url text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, provider)
);

CREATE TABLE supervisor.outbound_messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    idempotency_key text NOT NULL,
    -- A digest of the request: the same key with another reply is refused instead of answered with the first.
    request_hash text NOT NULL,
    ticket_id uuid NOT NULL,
    -- ingest's message id, once the reply is in the ticket timeline.
    message_id uuid,
    actor text NOT NULL CHECK (actor IN ('agent', 'supervisor', 'system')),
    author_user_id text NOT NULL DEFAULT '',
    to_phone text NOT NULL CHECK (to_phone ~ '^\+[1-9][0-9]{6,14}$'),
    -- The conversation's channel at ingest when the reply was written.
    channel text NOT NULL CHECK (channel IN ('meta', 'gupshup', 'manual')),
    kind text NOT NULL CHECK (kind IN ('text', 'template', 'interactive')),
    text text NOT NULL,
    template jsonb,
    buttons jsonb,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
    -- Who delivered it (meta, gupshup, sandbox) and its id there; both set once, when the provider accepts.
    provider text,
    provider_message_id text,
    error_code text NOT NULL DEFAULT '',
    error_title text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, idempotency_key),
    CHECK ((provider IS NULL) = (provider_message_id IS NULL))
);
CREATE UNIQUE INDEX outbound_messages_provider_id
    ON supervisor.outbound_messages (tenant, provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX outbound_messages_ticket ON supervisor.outbound_messages (tenant, ticket_id, created_at, id);

-- The outbox: per reply one `append` job (the timeline at ingest) and one `send` job (the provider).
CREATE TABLE supervisor.delivery_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL,
    outbound_id uuid NOT NULL REFERENCES supervisor.outbound_messages (id),
    ticket_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('append', 'send')),
    attempts integer NOT NULL DEFAULT 0,
    -- Fixed when queued so replicas with other settings agree; NULL retries for ever (appends).
    max_attempts integer CHECK (max_attempts > 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A worker's lease: until then the job is its own; a killed worker's lease simply runs out.
    locked_until timestamptz,
    claim uuid,
    last_error text NOT NULL DEFAULT '',
    done_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (outbound_id, kind)
);
CREATE INDEX delivery_jobs_due ON supervisor.delivery_jobs (next_attempt_at, id) WHERE done_at IS NULL;
CREATE INDEX delivery_jobs_open_sends ON supervisor.delivery_jobs (ticket_id, id)
    WHERE done_at IS NULL AND kind = 'send';

-- Who holds each ticket according to this service's assignments, to find the least loaded supervisor.
CREATE TABLE supervisor.ticket_assignments (
    tenant text NOT NULL,
    ticket_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES supervisor.users (id),
    escalated boolean NOT NULL DEFAULT false,
    reason text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, ticket_id)
);
CREATE INDEX ticket_assignments_user ON supervisor.ticket_assignments (user_id);
