INSERT INTO visits.visit_proposals (
    tenant, ticket_id, agent_key, agent_user_id, project_code, starts_at, ends_at, starts_s, ends_s,
    replaces_proposal_id, message_to_lead, reply_token, created_by
) VALUES (
    %(tenant)s, %(ticket_id)s, %(agent_key)s, %(agent_user_id)s, %(project_code)s, %(starts_at)s, %(ends_at)s,
    extract(epoch FROM %(starts_at)s::timestamptz), extract(epoch FROM %(ends_at)s::timestamptz),
    %(replaces_proposal_id)s, %(message_to_lead)s, %(reply_token)s, %(created_by)s
)
RETURNING *
