-- W3C trace context headers (`traceparent`, `tracestate`) of the request that wrote the row; the relay
-- continues that trace. Empty when tracing was off. A constant default: no table rewrite.
ALTER TABLE visits.outbox ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}'::jsonb;
