"""Reply of the webhook endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookReceipt(BaseModel):
    """What was made durable before answering 200."""

    received: int = Field(description="Messages stored (a redelivered one counts, it is simply not stored twice).")
    statuses: int = Field(description="Delivery statuses recorded.")
    dead_letters: int = Field(description="Parts that could not be routed or read, kept as dead letters.")
