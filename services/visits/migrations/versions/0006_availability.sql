-- Weekly working hours per agent in the tenant's time zone: ISO weekday (1 = Monday) and minutes after
-- local midnight, [start, end). One agent's blocks of a day never overlap (checked with a 400 first).
CREATE TABLE visits.agent_hours (
    tenant text NOT NULL,
    agent_key bigint NOT NULL REFERENCES visits.agents (key),
    weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute smallint NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (end_minute > start_minute),
    CONSTRAINT agent_hours_no_overlap EXCLUDE USING gist (
        int8range(agent_key, agent_key, '[]') WITH &&,
        int4range(weekday, weekday, '[]') WITH &&,
        int4range(start_minute, end_minute) WITH &&
    )
);

-- Time off: an agent's (agent_key set) or the whole tenant's (a holiday, agent_key NULL).
CREATE TABLE visits.availability_exceptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    agent_key bigint REFERENCES visits.agents (key),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    reason text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX availability_exceptions_tenant ON visits.availability_exceptions (tenant, ends_at);

-- Per project: how long a visit lasts, the buffers kept free around it, and what leads may book.
CREATE TABLE visits.project_settings (
    tenant text NOT NULL,
    project_code text NOT NULL,
    visit_minutes integer NOT NULL CHECK (visit_minutes BETWEEN 15 AND 480),
    buffer_before_minutes integer NOT NULL CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes integer NOT NULL CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    min_notice_minutes integer NOT NULL CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    horizon_days integer NOT NULL CHECK (horizon_days BETWEEN 1 AND 366),
    -- Minutes between offered starts; 0 means the visit length.
    slot_step_minutes integer NOT NULL CHECK (slot_step_minutes = 0 OR slot_step_minutes BETWEEN 5 AND 480),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, project_code)
);

-- The agents who show a project: "any agent of the project" when a lead books.
CREATE TABLE visits.project_agents (
    tenant text NOT NULL,
    project_code text NOT NULL,
    agent_key bigint NOT NULL REFERENCES visits.agents (key),
    PRIMARY KEY (tenant, project_code, agent_key)
);

-- Each agent's private iCalendar feed: only a digest of the secret is kept; revoked tokens stay revoked.
CREATE TABLE visits.calendar_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    agent_key bigint NOT NULL REFERENCES visits.agents (key),
    token_sha256 text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE UNIQUE INDEX calendar_tokens_one_live ON visits.calendar_tokens (agent_key) WHERE revoked_at IS NULL;

-- Free slots read one agent's (or a project's agents') active visits in a window.
CREATE INDEX visit_proposals_agent_active ON visits.visit_proposals (agent_key, blocked_until)
    WHERE status IN ('proposed', 'confirmed');
