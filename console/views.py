"""View models: what the templates show, prepared from protos (dates in the tenant's zone, es-AR wording)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf import json_format, timestamp_pb2

from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2
from vertice360.visits.v1 import visits_pb2

STAGES = (
    "Nuevo",
    "En conversación",
    "Esperando confirmación",
    "Visita confirmada",
    "Visita realizada",
    "Ganado",
    "Perdido",
)
# CSS modifier of each stage's pill.
# The funnel's short labels, so seven steps fit a phone's width.
STAGE_SHORT = {
    "Nuevo": "Nuevos",
    "En conversación": "Charlando",
    "Esperando confirmación": "Esperando",
    "Visita confirmada": "Confirmada",
    "Visita realizada": "Realizada",
    "Ganado": "Ganados",
    "Perdido": "Perdidos",
}
STAGE_CLASS = {
    "Nuevo": "new",
    "En conversación": "talking",
    "Esperando confirmación": "waiting",
    "Visita confirmada": "confirmed",
    "Visita realizada": "visited",
    "Ganado": "won",
    "Perdido": "lost",
}
WINDOW = timedelta(hours=24)
# The readable form ingest gives non-text messages starts with the kind in brackets ("[imagen] ...").
READABLE_TAG = re.compile(r"^\[[^\]]{1,30}\]\s*")
ROLE_LABEL = {"agent": "Agente", "supervisor": "Supervisor", "admin": "Administrador"}
STATUS_LABEL = {
    supervisor_pb2.DELIVERY_STATUS_PENDING: ("pending", "Enviando"),
    supervisor_pb2.DELIVERY_STATUS_SENT: ("sent", "Enviado"),
    supervisor_pb2.DELIVERY_STATUS_DELIVERED: ("delivered", "Entregado"),
    supervisor_pb2.DELIVERY_STATUS_READ: ("read", "Leído"),
    supervisor_pb2.DELIVERY_STATUS_FAILED: ("failed", "No entregado"),
}
PROPOSAL_LABEL = {
    visits_pb2.PROPOSAL_STATUS_PROPOSED: "Propuesta, esperando al cliente",
    visits_pb2.PROPOSAL_STATUS_CONFIRMED: "Confirmada",
    visits_pb2.PROPOSAL_STATUS_RESCHEDULED: "Reprogramada",
    visits_pb2.PROPOSAL_STATUS_CANCELLED: "Cancelada",
    visits_pb2.PROPOSAL_STATUS_EXPIRED: "Vencida",
}
MEDIA_LABEL = {
    "image": "Foto",
    "sticker": "Sticker",
    "audio": "Audio",
    "voice": "Mensaje de voz",
    "video": "Video",
    "document": "Documento",
    "location": "Ubicación",
    "contacts": "Contacto",
}


def stamp(value: timestamp_pb2.Timestamp, *, present: bool = True) -> datetime | None:
    """An aware UTC datetime, or None when the field is unset."""
    if not present or (value.seconds == 0 and value.nanos == 0):
        return None
    return value.ToDatetime(tzinfo=UTC)


def relative(at: datetime | None, now: datetime) -> str:
    """ "hace 5 min", the way an agent reads a waiting time."""
    if at is None:
        return ""
    seconds = int((now - at).total_seconds())
    if seconds < 0:
        return "en unos instantes" if seconds > -60 else "más tarde"
    if seconds < 60:
        return "recién"
    if seconds < 3600:
        return f"hace {seconds // 60} min"
    if seconds < 86400:
        return f"hace {seconds // 3600} h"
    days = seconds // 86400
    return "hace 1 día" if days == 1 else f"hace {days} días"


def local(at: datetime | None, tz: ZoneInfo) -> str:
    """dd/mm/aaaa HH:MM in the tenant's time zone."""
    return at.astimezone(tz).strftime("%d/%m/%Y %H:%M") if at else ""


def short_time(at: datetime | None, tz: ZoneInfo, now: datetime) -> str:
    """HH:MM today, dd/mm otherwise (timeline bubbles)."""
    if at is None:
        return ""
    mine = at.astimezone(tz)
    return mine.strftime("%H:%M") if mine.date() == now.astimezone(tz).date() else mine.strftime("%d/%m %H:%M")


def iso(at: datetime | None) -> str:
    """The machine-readable instant for <time datetime>."""
    return at.isoformat() if at else ""


def masked_phone(e164: str) -> str:
    """+54 9 11 •••• 5234: enough to tell leads apart, never the whole number on screen."""
    digits = e164.lstrip("+")
    if len(digits) < 6:
        return "••••"
    return (
        f"+{digits[:2]} {digits[2:3]} {digits[3:5]} •••• {digits[-4:]}"
        if digits.startswith("549")
        else (f"+{digits[:2]} •••• {digits[-4:]}")
    )


def initials(name: str) -> str:
    """Up to two capital letters for the avatar."""
    words = [w for w in name.split() if w[:1].isalpha()]
    return "".join(w[0].upper() for w in words[:2]) or "?"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at the screen: their tenant's zone and the team's names, for every view model."""

    tz: ZoneInfo
    users: Mapping[str, str]
    now: datetime


@dataclass(frozen=True, slots=True)
class TicketView:
    id: str
    lead_name: str
    initials: str
    phone: str
    project: str
    stage: str
    stage_class: str
    snippet: str
    last_at_iso: str
    last_at_rel: str
    last_at_local: str
    visit_at: str
    assignee_id: str
    assignee: str
    unread: int
    waiting_iso: str
    waiting_rel: str
    window_open: bool
    window_closes_rel: str
    source: str = ""


def ticket_view(ticket: ingest_pb2.Ticket, viewer: Viewer) -> TicketView:
    """One inbox row / ticket header."""
    last = stamp(ticket.last_message_at, present=ticket.HasField("last_message_at"))
    inbound = stamp(ticket.last_inbound_at, present=ticket.HasField("last_inbound_at"))
    waiting = stamp(ticket.waiting_since, present=ticket.HasField("waiting_since"))
    visit = stamp(ticket.visit_scheduled_at, present=ticket.HasField("visit_scheduled_at"))
    window_open = inbound is not None and viewer.now - inbound < WINDOW
    closes = ""
    if window_open and inbound is not None:
        left = int((inbound + WINDOW - viewer.now).total_seconds())
        closes = f"cierra en {left // 3600} h" if left >= 3600 else f"cierra en {max(left // 60, 1)} min"
    name = ticket.lead_name.strip() or "Sin nombre"
    return TicketView(
        id=ticket.id,
        lead_name=name,
        initials=initials(name),
        phone=masked_phone(ticket.phone_e164),
        project=ticket.project_name or "Sin proyecto",
        stage=ticket.stage,
        stage_class=STAGE_CLASS.get(ticket.stage, "new"),
        snippet=ticket.last_message_snippet,
        last_at_iso=iso(last),
        last_at_rel=relative(last, viewer.now),
        last_at_local=local(last, viewer.tz),
        visit_at=local(visit, viewer.tz),
        assignee_id=ticket.assignee_user_id,
        assignee=viewer.users.get(ticket.assignee_user_id, "") if ticket.assignee_user_id else "",
        unread=ticket.unread_count,
        waiting_iso=iso(waiting),
        waiting_rel=relative(waiting, viewer.now),
        window_open=window_open,
        window_closes_rel=closes,
        source=ticket.source.asset_name or ticket.source.asset_code if ticket.HasField("source") else "",
    )


@dataclass(slots=True)
class EntryView:
    """One line of the timeline: a message bubble, a note, or an event."""

    id: str
    kind: str  # "in", "out", "note" or "event"
    text: str
    at_iso: str
    at_short: str
    at_local: str
    author: str = ""
    media_label: str = ""
    media_caption: str = ""
    location: str = ""
    status: str = ""
    status_label: str = ""
    error: str = ""
    buttons: list[str] = field(default_factory=list)
    sort_key: tuple[datetime, str, str] = field(default=(datetime.min.replace(tzinfo=UTC), "", ""))


def _payload(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message) if message.ListFields() else {}


def message_entry(message: ingest_pb2.Message, viewer: Viewer, delivery: Any = None) -> EntryView:
    """A message bubble; outbound ones carry their delivery tick."""
    at = stamp(message.sent_at) or stamp(message.created_at) or viewer.now
    kind_name = ingest_pb2.MessageType.Name(message.type).removeprefix("MESSAGE_TYPE_").lower()
    payload = _payload(message.payload)
    entry = EntryView(
        id=message.id,
        kind="in" if message.direction == ingest_pb2.DIRECTION_IN else "out",
        text=message.text,
        at_iso=iso(at),
        at_short=short_time(at, viewer.tz, viewer.now),
        at_local=local(at, viewer.tz),
        author=viewer.users.get(message.author_user_id, "") if message.author_user_id else "",
        media_label=MEDIA_LABEL.get(kind_name, ""),
        media_caption=(message.media.caption if message.HasField("media") else "")
        or READABLE_TAG.sub("", message.text),
        sort_key=(at, iso(stamp(message.created_at)), message.id),
    )
    if kind_name == "location":
        place = payload.get("location") or payload
        latitude, longitude = place.get("latitude"), place.get("longitude")
        if latitude is not None and longitude is not None:
            entry.location = f"{latitude},{longitude}"
    if entry.kind == "out":
        entry.buttons = [str(b.get("title", "")) for b in payload.get("buttons", []) if isinstance(b, dict)]
        if delivery is not None:
            apply_delivery(entry, delivery)
        else:
            entry.status, entry.status_label = STATUS_LABEL[supervisor_pb2.DELIVERY_STATUS_PENDING]
    return entry


def apply_delivery(entry: EntryView, delivery: supervisor_pb2.OutboundMessage) -> None:
    """Puts a reply's delivery status (and failure reason) on its bubble."""
    entry.status, entry.status_label = STATUS_LABEL.get(delivery.status, ("pending", "Enviando"))
    if delivery.status == supervisor_pb2.DELIVERY_STATUS_FAILED:
        reason = " ".join(part for part in (delivery.error_title, f"({delivery.error_code})") if part.strip("()"))
        entry.error = reason or "El proveedor rechazó el mensaje"


EVENT_TEXT = {
    "ticket.assigned": "Asignado a {assignee}",
    "ticket.escalated": "Escalado a {assignee}: {reason}",
    "visit.proposed": "Visita propuesta",
    "visit.confirmed": "Visita confirmada",
    "visit.rescheduled": "Visita reprogramada",
    "visit.cancelled": "Visita cancelada",
    "visit.reschedule_requested": "El cliente pidió reprogramar la visita",
    "stage.changed": "Etapa: {stage}",
    "ticket.reopened": "El cliente volvió a escribir: ticket reabierto ({stage})",
    "ticket.visit_done": "Visita realizada",
    "ticket.won": "Ganado",
    "ticket.lost": "Perdido: {reason}",
}
# Message events are shown as the message itself; notes as a note card.
QUIET_EVENTS = {"message.received", "message.sent"}


def event_entry(event: ingest_pb2.Event, viewer: Viewer) -> EntryView | None:
    """A timeline line for an event, or None for events the timeline shows otherwise."""
    if event.type in QUIET_EVENTS:
        return None
    at = stamp(event.created_at) or viewer.now
    payload = _payload(event.payload)
    author_id = str(payload.get("by_user_id") or payload.get("author_user_id") or "")
    author = viewer.users.get(author_id, "") if author_id else ""
    if event.type == "note.added":
        return EntryView(
            id=event.id,
            kind="note",
            text=str(payload.get("text", "")),
            at_iso=iso(at),
            at_short=short_time(at, viewer.tz, viewer.now),
            at_local=local(at, viewer.tz),
            author=author,
            sort_key=(at, iso(at), event.id),
        )
    values = {
        "assignee": payload.get("assignee_name") or viewer.users.get(str(payload.get("assignee_user_id", "")), ""),
        "reason": payload.get("reason", ""),
        "stage": payload.get("stage", ""),
    }
    template = EVENT_TEXT.get(event.type)
    text = template.format(**values) if template else event.type
    if event.type.startswith("visit.") and payload.get("starts_at"):
        try:
            starts = datetime.fromisoformat(str(payload["starts_at"]).replace("Z", "+00:00"))
            text += f" para el {local(starts, viewer.tz)}"
        except ValueError:
            pass
    return EntryView(
        id=event.id,
        kind="event",
        text=text,
        at_iso=iso(at),
        at_short=short_time(at, viewer.tz, viewer.now),
        at_local=local(at, viewer.tz),
        author=author,
        sort_key=(at, iso(at), event.id),
    )


def timeline(
    messages: Iterable[ingest_pb2.Message],
    events: Iterable[ingest_pb2.Event],
    deliveries: Mapping[str, supervisor_pb2.OutboundMessage],
    viewer: Viewer,
) -> list[EntryView]:
    """Messages and events in one list, oldest first."""
    entries = [message_entry(m, viewer, deliveries.get(m.id)) for m in messages]
    entries += [entry for e in events if (entry := event_entry(e, viewer)) is not None]
    return sorted(entries, key=lambda entry: entry.sort_key)
