SELECT count(*) AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest_seconds
FROM visits.outbox WHERE status = 'pending'
