CREATE TYPE supervisor.user_role AS ENUM ('agent', 'supervisor', 'admin');

CREATE TABLE supervisor.users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    name text NOT NULL,
    email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    role supervisor.user_role NOT NULL,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, email)
);

-- Provider delivery statuses as received, kept for the outbound messages they name.
CREATE TABLE supervisor.delivery_statuses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    provider text NOT NULL,
    provider_message_id text NOT NULL,
    status text NOT NULL,
    status_at timestamptz NOT NULL,
    error_code text NOT NULL DEFAULT '',
    error_title text NOT NULL DEFAULT '',
    raw jsonb,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant, provider, provider_message_id, status)
);
