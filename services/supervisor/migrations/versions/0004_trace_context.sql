-- W3C trace context headers (`traceparent`, `tracestate`) of the SendReply that queued the job; the
-- delivery worker continues that trace. Empty when tracing was off. A constant default: no table rewrite.
ALTER TABLE supervisor.delivery_jobs ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}'::jsonb;
