"""Prometheus series of the gateway, served on its own `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_LATENCY = Histogram(
    "v360_http_request_duration_seconds",
    "Time to answer one HTTP request, by method, route template and status code.",
    ["method", "route", "status_code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBHOOKS = Counter(
    "v360_webhooks_total",
    "Webhook items by provider and outcome (message, duplicate, status, dead_letter, unauthorized, "
    "bad_request, retry).",
    ["provider", "result"],
)
DEAD_LETTERS = Counter(
    "v360_webhook_dead_letters_total",
    "Webhook payloads kept as dead letters, by provider and reason code.",
    ["provider", "reason"],
)
RATE_LIMITED = Counter(
    "v360_gateway_rate_limited_total",
    "Dashboard API requests refused with 429, by the budget that ran out (client address or tenant).",
    ["scope"],
)
RATE_LIMIT_FAIL_OPEN = Counter(
    "v360_gateway_rate_limit_fail_open_total",
    "Requests let through unlimited because Redis did not answer in time (timeout, error) or had just failed (paused).",
    ["reason"],
)
WEBHOOK_THROTTLED = Counter(
    "v360_gateway_webhook_throttled_total",
    "Webhook requests refused with 429 because their client address failed authentication too often.",
    ["provider"],
)
