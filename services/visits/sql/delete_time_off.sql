-- Agents may only remove their own time off (`agent_key` set); supervisors anything of the tenant.
DELETE FROM visits.availability_exceptions
WHERE tenant = %(tenant)s AND id = %(id)s AND (%(agent_key)s::bigint IS NULL OR agent_key = %(agent_key)s)
RETURNING id
