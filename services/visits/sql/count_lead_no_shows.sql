-- Visits the ticket's lead missed, on any of their tickets (the lead is known from the ticket's visits).
SELECT count(*) FROM visits.visit_proposals
WHERE tenant = %(tenant)s AND status = 'no_show' AND lead_id = (
    SELECT lead_id FROM visits.visit_proposals
    WHERE tenant = %(tenant)s AND ticket_id = %(ticket_id)s AND lead_id IS NOT NULL
    LIMIT 1
)
