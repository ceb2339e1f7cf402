-- Agents are the tenant's users as supervisor knows them (synced by lookup or event, never by reading
-- supervisor's tables). Rows created before this sync start inactive until the next lookup confirms them.
ALTER TABLE visits.agents
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN role text NOT NULL DEFAULT '',
    ADD COLUMN active boolean NOT NULL DEFAULT false,
    ADD COLUMN synced_at timestamptz;

-- The time a visit takes from the agent's calendar: the visit itself plus the buffers around it.
ALTER TABLE visits.visit_proposals
    ADD COLUMN blocked_from timestamptz,
    ADD COLUMN blocked_until timestamptz;
UPDATE visits.visit_proposals SET blocked_from = starts_at, blocked_until = ends_at;
ALTER TABLE visits.visit_proposals
    ALTER COLUMN blocked_from SET NOT NULL,
    ALTER COLUMN blocked_until SET NOT NULL,
    ADD CONSTRAINT blocked_covers_visit CHECK (blocked_from <= starts_at AND blocked_until >= ends_at);

-- No double booking, exact at the stored precision (microseconds): one agent's active visits never
-- share an instant of [blocked_from, blocked_until) (half-open: back to back is fine). Both columns are
-- core GiST range_ops (a one-point int8range per agent, a tstzrange per visit), so no btree_gist is needed
-- and it works on the embedded Postgres too. It replaces the whole-second box of 0001.
ALTER TABLE visits.visit_proposals DROP CONSTRAINT no_double_booking;
ALTER TABLE visits.visit_proposals ADD CONSTRAINT no_double_booking EXCLUDE USING gist (
    int8range(agent_key, agent_key, '[]') WITH &&,
    tstzrange(blocked_from, blocked_until, '[)') WITH &&
) WHERE (status IN ('proposed', 'confirmed'));
ALTER TABLE visits.visit_proposals DROP COLUMN starts_s, DROP COLUMN ends_s;
