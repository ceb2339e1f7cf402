-- Outcomes of a visit that took place (or should have).
ALTER TYPE visits.visit_proposal_status ADD VALUE IF NOT EXISTS 'attended';
ALTER TYPE visits.visit_proposal_status ADD VALUE IF NOT EXISTS 'no_show';
-- Ingest's lead of the ticket, when visits learnt it (no-shows are counted per lead).
ALTER TABLE visits.visit_proposals ADD COLUMN lead_id uuid;
CREATE INDEX visit_proposals_lead ON visits.visit_proposals (tenant, lead_id) WHERE lead_id IS NOT NULL;

-- Per tenant: when reminders go out before a confirmed visit (minutes), and the approved template used
-- when the lead's 24 h window is closed (parameters: date and time, project).
ALTER TABLE visits.tenant_settings
    ADD COLUMN reminder_offsets_minutes integer[] NOT NULL DEFAULT '{1440,120}',
    ADD COLUMN reminder_template text NOT NULL DEFAULT '',
    ADD COLUMN reminder_template_language text NOT NULL DEFAULT 'es_AR';
