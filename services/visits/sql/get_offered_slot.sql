-- The row the lead tapped, only if it was offered on this ticket of this tenant.
SELECT s.token, s.offer_id, s.agent_key, a.user_id AS agent_user_id, s.starts_at, s.ends_at, o.project_code,
       o.booked_proposal_id
FROM visits.offered_slots s
JOIN visits.slot_offers o ON o.id = s.offer_id
JOIN visits.agents a ON a.key = s.agent_key
WHERE s.tenant = %(tenant)s AND s.ticket_id = %(ticket_id)s AND s.token = %(token)s
