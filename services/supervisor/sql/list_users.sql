SELECT id, name, email, role::text AS role, active, false AS created
FROM supervisor.users
WHERE tenant = %(tenant)s AND (active OR %(include_inactive)s)
ORDER BY role DESC, name
