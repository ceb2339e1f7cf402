INSERT INTO visits.agent_hours (tenant, agent_key, weekday, start_minute, end_minute)
SELECT %(tenant)s, %(agent_key)s, h.weekday, h.start_minute, h.end_minute
FROM unnest(%(weekdays)s::smallint[], %(starts)s::smallint[], %(ends)s::smallint[]) AS h(weekday, start_minute, end_minute)
