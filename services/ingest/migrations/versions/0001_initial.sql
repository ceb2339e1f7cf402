CREATE TYPE ingest.lead_stage AS ENUM (
    'Nuevo', 'En conversación', 'Esperando confirmación', 'Visita confirmada', 'Visita realizada',
    'Ganado', 'Perdido'
);
CREATE TYPE ingest.actor_role AS ENUM ('lead', 'agent', 'supervisor', 'system');
CREATE TYPE ingest.channel_type AS ENUM ('meta', 'gupshup', 'manual');
CREATE TYPE ingest.message_direction AS ENUM ('in', 'out');

CREATE TABLE ingest.tenants (
    slug text PRIMARY KEY CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name text NOT NULL,
    region text NOT NULL DEFAULT 'AR' CHECK (region ~ '^[A-Z]{2}$'),
    timezone text NOT NULL DEFAULT 'America/Argentina/Buenos_Aires',
    meta_phone_number_id text UNIQUE,
    meta_app_secret text,
    meta_verify_token text,
    gupshup_app text UNIQUE,
    gupshup_token text UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest.projects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL REFERENCES ingest.tenants (slug),
    code text NOT NULL,
    name text NOT NULL,
    location text NOT NULL DEFAULT '',
    UNIQUE (tenant, code)
);

CREATE TABLE ingest.marketing_assets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL REFERENCES ingest.tenants (slug),
    code text NOT NULL,
    name text NOT NULL,
    keyword text NOT NULL DEFAULT '',
    project_id uuid REFERENCES ingest.projects (id),
    channel text NOT NULL DEFAULT 'whatsapp',
    UNIQUE (tenant, code)
);

CREATE TABLE ingest.leads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL REFERENCES ingest.tenants (slug),
    phone_e164 text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
    name text NOT NULL DEFAULT '',
    project_id uuid REFERENCES ingest.projects (id),
    asset_id uuid REFERENCES ingest.marketing_assets (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, phone_e164)
);

CREATE TABLE ingest.conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    lead_id uuid NOT NULL REFERENCES ingest.leads (id),
    channel ingest.channel_type NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lead_id, channel)
);

CREATE TABLE ingest.tickets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    conversation_id uuid NOT NULL UNIQUE REFERENCES ingest.conversations (id),
    lead_id uuid NOT NULL REFERENCES ingest.leads (id),
    project_id uuid REFERENCES ingest.projects (id),
    stage ingest.lead_stage NOT NULL DEFAULT 'Nuevo',
    last_message_snippet text NOT NULL DEFAULT '',
    -- Set by the ingest of the ticket's first message, in the same transaction as the insert.
    last_message_at timestamptz NOT NULL DEFAULT '-infinity',
    last_inbound_at timestamptz,
    visit_scheduled_at timestamptz,
    assignee_user_id text NOT NULL DEFAULT '',
    unread_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_activity ON ingest.tickets (tenant, last_message_at DESC, id DESC);

CREATE TABLE ingest.messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    conversation_id uuid NOT NULL REFERENCES ingest.conversations (id),
    ticket_id uuid NOT NULL REFERENCES ingest.tickets (id),
    direction ingest.message_direction NOT NULL,
    actor ingest.actor_role NOT NULL,
    provider ingest.channel_type NOT NULL,
    -- Inbound: the provider's id. Outbound: the caller's dedupe key until delivery names the wamid.
    provider_message_id text NOT NULL,
    type text NOT NULL,
    text text NOT NULL DEFAULT '',
    media jsonb,
    payload jsonb,
    context_message_id text NOT NULL DEFAULT '',
    author_user_id text NOT NULL DEFAULT '',
    sent_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((direction = 'in') = (actor = 'lead')),
    UNIQUE (tenant, provider, provider_message_id)
);
CREATE INDEX messages_timeline ON ingest.messages (ticket_id, sent_at, id);

CREATE TABLE ingest.events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    ticket_id uuid NOT NULL REFERENCES ingest.tickets (id),
    correlation_id uuid NOT NULL CHECK (correlation_id = ticket_id),
    type text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    -- Set by callers that may repeat a change (outbox relays); a repeat inserts nothing.
    dedupe_key text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (tenant, dedupe_key)
);
CREATE INDEX events_timeline ON ingest.events (ticket_id, created_at, id);

CREATE TABLE ingest.dead_letters (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text,
    source text NOT NULL,
    reason text NOT NULL,
    payload text NOT NULL,
    -- sha256 of source, reason and payload: a provider's redelivery records nothing new.
    dedupe_key text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_recent ON ingest.dead_letters (received_at DESC, id DESC);
