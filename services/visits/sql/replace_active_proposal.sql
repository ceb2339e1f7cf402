-- The lead's own booking replaces whatever visit the ticket had (proposed or confirmed).
UPDATE visits.visit_proposals SET status = 'rescheduled', updated_at = now()
WHERE tenant = %(tenant)s AND ticket_id = %(ticket_id)s AND status IN ('proposed', 'confirmed')
RETURNING *
