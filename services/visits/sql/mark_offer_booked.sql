UPDATE visits.slot_offers SET booked_proposal_id = %(proposal_id)s WHERE id = %(offer_id)s
