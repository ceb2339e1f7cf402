-- Free times offered to a lead as a WhatsApp list; one booking per offer.
CREATE TABLE visits.slot_offers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant text NOT NULL,
    ticket_id uuid NOT NULL,
    project_code text NOT NULL,
    booked_proposal_id uuid REFERENCES visits.visit_proposals (id),
    -- What caused a lead-triggered offer (the lead's message): a redelivered reply offers once.
    source_key text UNIQUE,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slot_offers_ticket ON visits.slot_offers (tenant, ticket_id, created_at);

-- One row of an offer's list. Its random token is the row id the lead's tap brings back ("v360v:s:<token>"),
-- valid only with the ticket it was sent to.
CREATE TABLE visits.offered_slots (
    token text PRIMARY KEY,
    offer_id uuid NOT NULL REFERENCES visits.slot_offers (id),
    tenant text NOT NULL,
    ticket_id uuid NOT NULL,
    agent_key bigint NOT NULL REFERENCES visits.agents (key),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX offered_slots_offer ON visits.offered_slots (offer_id);

-- Per tenant: the language of what visits writes to leads.
CREATE TABLE visits.tenant_settings (
    tenant text PRIMARY KEY,
    language text NOT NULL DEFAULT 'es' CHECK (language IN ('es', 'en', 'pt')),
    updated_at timestamptz NOT NULL DEFAULT now()
);
