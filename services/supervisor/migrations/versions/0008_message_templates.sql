-- The tenant's approved WhatsApp templates, recorded so the team can pick one outside the 24 h window
-- (and reminders can name one). The provider approves them; this only keeps what the team needs to fill.
CREATE TABLE supervisor.message_templates (
    tenant text NOT NULL,
    name text NOT NULL CHECK (name ~ '^[A-Za-z0-9_-]+$' AND length(name) <= 512),
    language text NOT NULL CHECK (language ~ '^[a-z]{2,3}(_[A-Z]{2})?$'),
    title text NOT NULL DEFAULT '',
    body text NOT NULL CHECK (body <> ''),
    parameter_count integer NOT NULL CHECK (parameter_count BETWEEN 0 AND 50),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, name, language)
);
