SELECT id, name, email, role::text AS role, active, false AS created
FROM supervisor.users
WHERE tenant = %(tenant)s AND id = %(user_id)s AND active
