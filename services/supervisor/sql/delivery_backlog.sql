-- Open delivery jobs by kind and the age of the oldest, for the backlog gauges.
SELECT kind, count(*) AS open, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest_seconds
FROM supervisor.delivery_jobs
WHERE done_at IS NULL
GROUP BY kind
