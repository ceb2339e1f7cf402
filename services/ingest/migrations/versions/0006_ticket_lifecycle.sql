-- Why tickets are lost, per tenant, in the order the team sees them. Empty: the service's default list.
CREATE TABLE ingest.lost_reasons (
    tenant text NOT NULL REFERENCES ingest.tenants (slug),
    code text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    label text NOT NULL CHECK (label <> '' AND length(label) <= 120),
    position integer NOT NULL,
    PRIMARY KEY (tenant, code)
);
