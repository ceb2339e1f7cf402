"""Rows and domain values of the supervisor service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

ROLES = ("agent", "supervisor", "admin")
STATUSES = ("pending", "sent", "delivered", "read", "failed")
PROVIDERS = ("meta", "gupshup", "sandbox")


@dataclass(slots=True)
class User:
    id: uuid.UUID
    name: str
    email: str
    role: str
    active: bool
    created: bool = False


@dataclass(slots=True)
class StatusUpdate:
    provider: str
    provider_message_id: str
    status: str
    at: datetime
    error_code: str
    error_title: str
    raw: dict[str, Any] | None
