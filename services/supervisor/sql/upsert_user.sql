INSERT INTO supervisor.users AS u (tenant, name, email, role, active, password_hash)
VALUES (%(tenant)s, %(name)s, %(email)s, %(role)s, %(active)s, %(password_hash)s)
ON CONFLICT (tenant, email) DO UPDATE SET
    name = EXCLUDED.name,
    role = EXCLUDED.role,
    active = EXCLUDED.active,
    password_hash = coalesce(EXCLUDED.password_hash, u.password_hash)
RETURNING u.id, u.name, u.email, u.role::text AS role, u.active, (xmax = 0) AS created
