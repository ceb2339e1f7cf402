SELECT id, name, email, role::text AS role, active, false AS created, password_hash
FROM supervisor.users
WHERE tenant = %(tenant)s AND email = %(email)s
