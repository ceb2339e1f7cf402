INSERT INTO visits.visit_proposals (
    tenant, ticket_id, agent_key, agent_user_id, project_code, starts_at, ends_at, blocked_from, blocked_until,
    replaces_proposal_id, message_to_lead, reply_token, created_by, status, lead_id
) VALUES (
    %(tenant)s, %(ticket_id)s, %(agent_key)s, %(agent_user_id)s, %(project_code)s, %(starts_at)s, %(ends_at)s,
    %(blocked_from)s, %(blocked_until)s, %(replaces_proposal_id)s, %(message_to_lead)s, %(reply_token)s,
    %(created_by)s, %(status)s::visits.visit_proposal_status, %(lead_id)s
)
RETURNING *
