-- The dashboard filters by stage or assignee and still wants newest activity first.
CREATE INDEX tickets_stage_activity ON ingest.tickets (tenant, stage, last_message_at DESC, id DESC);
CREATE INDEX tickets_assignee_activity ON ingest.tickets (tenant, assignee_user_id, last_message_at DESC, id DESC);
