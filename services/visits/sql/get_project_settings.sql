SELECT s.tenant, s.project_code, s.visit_minutes, s.buffer_before_minutes, s.buffer_after_minutes,
       s.min_notice_minutes, s.horizon_days, s.slot_step_minutes,
       coalesce(array_agg(a.user_id ORDER BY a.user_id) FILTER (WHERE a.user_id IS NOT NULL), '{}') AS agent_user_ids
FROM visits.project_settings s
LEFT JOIN visits.project_agents pa ON pa.tenant = s.tenant AND pa.project_code = s.project_code
LEFT JOIN visits.agents a ON a.key = pa.agent_key
WHERE s.tenant = %(tenant)s AND s.project_code = %(project_code)s
GROUP BY s.tenant, s.project_code
