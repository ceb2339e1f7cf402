INSERT INTO visits.tenant_settings (tenant, language, reminder_offsets_minutes, reminder_template, reminder_template_language)
VALUES (%(tenant)s, %(language)s, %(reminder_offsets_minutes)s, %(reminder_template)s, %(reminder_template_language)s)
ON CONFLICT (tenant) DO UPDATE SET
    language = EXCLUDED.language,
    reminder_offsets_minutes = EXCLUDED.reminder_offsets_minutes,
    reminder_template = EXCLUDED.reminder_template,
    reminder_template_language = EXCLUDED.reminder_template_language,
    updated_at = now()
