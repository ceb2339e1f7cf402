INSERT INTO visits.project_settings (
    tenant, project_code, visit_minutes, buffer_before_minutes, buffer_after_minutes, min_notice_minutes,
    horizon_days, slot_step_minutes
) VALUES (
    %(tenant)s, %(project_code)s, %(visit_minutes)s, %(buffer_before_minutes)s, %(buffer_after_minutes)s,
    %(min_notice_minutes)s, %(horizon_days)s, %(slot_step_minutes)s
)
ON CONFLICT (tenant, project_code) DO UPDATE SET
    visit_minutes = EXCLUDED.visit_minutes,
    buffer_before_minutes = EXCLUDED.buffer_before_minutes,
    buffer_after_minutes = EXCLUDED.buffer_after_minutes,
    min_notice_minutes = EXCLUDED.min_notice_minutes,
    horizon_days = EXCLUDED.horizon_days,
    slot_step_minutes = EXCLUDED.slot_step_minutes,
    updated_at = now()
