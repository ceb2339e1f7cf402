-- The active supervisor holding the fewest tickets by this service's assignments; ties by name.
SELECT u.id, u.name, u.email, u.role::text AS role, u.active, false AS created
FROM supervisor.users u
LEFT JOIN supervisor.ticket_assignments a ON a.tenant = u.tenant AND a.user_id = u.id
WHERE u.tenant = %(tenant)s AND u.active AND u.role = 'supervisor'
GROUP BY u.id
ORDER BY count(a.ticket_id), u.name, u.id
LIMIT 1
