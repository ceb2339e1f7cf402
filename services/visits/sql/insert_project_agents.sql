INSERT INTO visits.project_agents (tenant, project_code, agent_key)
SELECT %(tenant)s, %(project_code)s, k FROM unnest(%(agent_keys)s::bigint[]) AS k
