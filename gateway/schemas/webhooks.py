"""Reply of the webhook endpoints."""

from __future__ import annotations

from pydantic import BaseModel


class WebhookReceipt(BaseModel):
    """What was made durable before answering 200."""

    received: int
    statuses: int
    dead_letters: int
