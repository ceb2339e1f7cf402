"""An agent's visits as an iCalendar feed (RFC 5545) that Google Calendar or Outlook subscribe to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from icalendar import Calendar, Event

from services.visits.models import Agent, Proposal

PRODID = "-//Vertice360//Visitas//ES"
STATUS = {"proposed": "TENTATIVE", "confirmed": "CONFIRMED"}
SUMMARY = {"proposed": "Visita propuesta", "confirmed": "Visita confirmada"}


def agent_feed(*, agent: Agent, visits: Sequence[Proposal], timezone: str, now: datetime) -> bytes:
    """The feed: one event per active visit, times in UTC, the tenant's time zone named for display."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Visitas de {agent.name or agent.user_id}")
    calendar.add("x-wr-timezone", timezone)
    for visit in visits:
        event = Event()
        event.add("uid", f"{visit.id}@vertice360")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", visit.starts_at.astimezone(UTC))
        event.add("dtend", visit.ends_at.astimezone(UTC))
        event.add("last-modified", visit.updated_at.astimezone(UTC))
        event.add(
            "summary",
            f"{SUMMARY[visit.status]} · {visit.project_code}" if visit.project_code else SUMMARY[visit.status],
        )
        event.add("status", STATUS[visit.status])
        event.add("description", f"Ticket {visit.ticket_id}")
        calendar.add_component(event)
    return calendar.to_ical()
