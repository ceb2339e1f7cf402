-- Per kind: rows due and not done, the age of the oldest since it became due, and rows due later.
SELECT kind,
    count(*) FILTER (WHERE scheduled_at <= %(now)s) AS due,
    coalesce(extract(epoch FROM %(now)s - min(scheduled_at) FILTER (WHERE scheduled_at <= %(now)s)), 0)
        AS oldest_seconds,
    count(*) FILTER (WHERE scheduled_at > %(now)s) AS scheduled
FROM {outbox}
WHERE status = 'pending'
GROUP BY kind
