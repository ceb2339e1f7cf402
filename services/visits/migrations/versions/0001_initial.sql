CREATE TYPE visits.visit_proposal_status AS ENUM ('proposed', 'confirmed', 'rescheduled', 'cancelled', 'expired');

-- A small integer per (tenant, agent): the exclusion constraint below needs an exact number per agent.
CREATE TABLE visits.agents (
    key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL,
    user_id text NOT NULL,
    UNIQUE (tenant, user_id)
);

CREATE TABLE visits.visit_proposals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    ticket_id uuid NOT NULL,
    agent_key bigint NOT NULL REFERENCES visits.agents (key),
    agent_user_id text NOT NULL,
    project_code text NOT NULL DEFAULT '',
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    status visits.visit_proposal_status NOT NULL DEFAULT 'proposed',
    replaces_proposal_id uuid REFERENCES visits.visit_proposals (id),
    message_to_lead text NOT NULL DEFAULT '',
    -- Opaque ids of the WhatsApp reply buttons; only this proposal's buttons carry them.
    reply_token text NOT NULL UNIQUE,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Seconds since the epoch, written with the row, so the slot below is an immutable expression.
    starts_s double precision NOT NULL,
    ends_s double precision NOT NULL,
    CHECK (ends_at > starts_at),
    CHECK (ends_s > starts_s),
    -- No double booking: one agent's active visits never overlap. A zero-width box per visit
    -- (x = agent, y = [start, end - 1 s]) overlaps another only for the same agent and
    -- overlapping times; core GiST supports box &&, so no btree_gist extension is needed.
    CONSTRAINT no_double_booking EXCLUDE USING gist (
        box(point(agent_key, starts_s), point(agent_key, ends_s - 1)) WITH &&
    ) WHERE (status IN ('proposed', 'confirmed'))
);
CREATE INDEX visit_proposals_ticket ON visits.visit_proposals (tenant, ticket_id, created_at);
-- At most one active proposal per ticket.
CREATE UNIQUE INDEX visit_proposals_one_active ON visits.visit_proposals (ticket_id)
    WHERE status IN ('proposed', 'confirmed');

CREATE TABLE visits.visit_confirmations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    proposal_id uuid NOT NULL UNIQUE REFERENCES visits.visit_proposals (id),
    confirmed_by text NOT NULL,
    channel text NOT NULL,
    confirmed_at timestamptz NOT NULL DEFAULT now()
);

-- Changes for other services (ticket stage and timeline in ingest, messages to the lead through
-- supervisor), written in the same transaction as the proposal and relayed until acknowledged.
CREATE TABLE visits.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant text NOT NULL,
    ticket_id uuid NOT NULL,
    -- The receiver's dedupe key: a relayed row applies once however often it is sent.
    dedupe_key text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('ticket_update', 'lead_message')),
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    done_at timestamptz
);
CREATE INDEX outbox_due ON visits.outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_ticket_pending ON visits.outbox (ticket_id, kind, id) WHERE status = 'pending';
