"""Rows and domain values of the visits service."""

from __future__ import annotations

STATUSES = ("proposed", "confirmed", "rescheduled", "cancelled", "expired")
STAGE_AWAITING = "Esperando confirmación"
STAGE_CONFIRMED = "Visita confirmada"
