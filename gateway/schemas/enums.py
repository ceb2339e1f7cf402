"""The closed sets of values the API speaks, declared as OpenAPI enums."""

from __future__ import annotations

import enum


class Stage(enum.StrEnum):
    """Where a ticket is in the sales funnel."""

    NUEVO = "Nuevo"
    EN_CONVERSACION = "En conversación"
    ESPERANDO_CONFIRMACION = "Esperando confirmación"
    VISITA_CONFIRMADA = "Visita confirmada"
    VISITA_REALIZADA = "Visita realizada"
    GANADO = "Ganado"
    PERDIDO = "Perdido"


class Direction(enum.StrEnum):
    """Whether a message came from the lead (`in`) or went to the lead (`out`)."""

    IN = "in"
    OUT = "out"


class Actor(enum.StrEnum):
    """Who wrote a message."""

    LEAD = "lead"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    SYSTEM = "system"


class Role(enum.StrEnum):
    """What a user of a tenant's team may do: agents work tickets, supervisors also watch the team, admins
    also manage users, catalog and sending accounts."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class DeliveryStatus(enum.StrEnum):
    """How far a reply got: pending -> sent -> delivered -> read, or failed (with the provider's reason)."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class ProposalStatus(enum.StrEnum):
    """The state of a visit proposal."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
