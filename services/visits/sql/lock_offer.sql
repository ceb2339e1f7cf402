-- Taps on rows of one offer take turns: the first books, the others see it booked.
SELECT booked_proposal_id FROM visits.slot_offers WHERE id = %(offer_id)s FOR UPDATE
