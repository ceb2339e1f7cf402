SELECT language, reminder_offsets_minutes, reminder_template, reminder_template_language
FROM visits.tenant_settings WHERE tenant = %(tenant)s
