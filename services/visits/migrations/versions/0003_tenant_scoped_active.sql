-- Ticket ids come from ingest and are only unique with their tenant in mind here: a proposal a
-- caller makes for another tenant's ticket id must never block that tenant's own proposals.
DROP INDEX visits.visit_proposals_one_active;
CREATE UNIQUE INDEX visit_proposals_one_active ON visits.visit_proposals (tenant, ticket_id)
    WHERE status IN ('proposed', 'confirmed');
