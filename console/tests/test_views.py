"""The console's view rules without I/O: es-AR times, masked phones, which live rows a filtered list keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.protobuf import timestamp_pb2

from console.routes.inbox import InboxFilters, inbox_filters
from console.views import Viewer, initials, local, masked_phone, relative, ticket_view
from vertice360.ingest.v1 import ingest_pb2

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")


def stamp(at: datetime) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(at)
    return value


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=20), "recién"),
        (timedelta(minutes=5, seconds=30), "hace 5 min"),
        (timedelta(hours=3, minutes=59), "hace 3 h"),
        (timedelta(days=1, hours=2), "hace 1 día"),
        (timedelta(days=9), "hace 9 días"),
    ],
)
def test_relative_times_read_like_an_agent_says_them(ago: timedelta, text: str) -> None:
    assert relative(NOW - ago, NOW) == text


def test_dates_are_dd_mm_yyyy_hh_mm_in_the_tenants_zone() -> None:
    assert local(datetime(2026, 12, 2, 2, 30, tzinfo=UTC), BUENOS_AIRES) == "01/12/2026 23:30"


def test_phones_are_masked_and_names_make_initials() -> None:
    assert masked_phone("+5491155551234") == "+54 9 11 •••• 1234"
    assert masked_phone("+14155552671") == "+14 •••• 2671"
    assert "5555" not in masked_phone("+5491155551234")
    assert initials("lucía fernández de la torre") == "LF"
    assert initials("<script>") == "?"


def test_the_24h_window_and_who_waits() -> None:
    ticket = ingest_pb2.Ticket(
        id="t1",
        lead_name="",
        phone_e164="+5491155551234",
        stage="Nuevo",
        last_inbound_at=stamp(NOW - timedelta(hours=23, minutes=30)),
        waiting_since=stamp(NOW - timedelta(hours=23, minutes=30)),
    )
    view = ticket_view(ticket, Viewer(tz=BUENOS_AIRES, users={}, now=NOW))
    assert view.window_open and view.window_closes_rel == "cierra en 30 min"
    assert view.lead_name == "Sin nombre" and view.waiting_rel == "hace 23 h"
    closed = ticket_view(
        ingest_pb2.Ticket(id="t2", last_inbound_at=stamp(NOW - timedelta(hours=25))),
        Viewer(tz=BUENOS_AIRES, users={}, now=NOW),
    )
    assert not closed.window_open


def test_a_live_row_stays_only_in_lists_whose_filters_it_matches() -> None:
    ticket = ingest_pb2.Ticket(
        lead_name="Lucía Fernández",
        phone_e164="+5491155551234",
        stage="En conversación",
        project_code="PALERMO",
        assignee_user_id="u-1",
        waiting_since=stamp(NOW),
    )
    assert InboxFilters().matches(ticket, window_open=True)
    assert InboxFilters(stage="En conversación", project="PALERMO", assignee="u-1").matches(ticket, window_open=True)
    assert InboxFilters(q="lucía").matches(ticket, window_open=True)
    assert InboxFilters(q="5555").matches(ticket, window_open=True)
    assert InboxFilters(unread=True, order="waiting", window="open").matches(ticket, window_open=True)
    assert not InboxFilters(stage="Nuevo").matches(ticket, window_open=True)
    assert not InboxFilters(window="closed").matches(ticket, window_open=True)
    answered = ingest_pb2.Ticket(lead_name="Ana", stage="Nuevo")
    assert not InboxFilters(unread=True).matches(answered, window_open=True)
    assert not InboxFilters(order="waiting").matches(answered, window_open=True)


def test_unknown_filter_values_are_dropped_not_trusted() -> None:
    filters = inbox_filters(stage="Hackeado", window="sometimes", order="random", unread="x")
    assert filters == InboxFilters()
    assert InboxFilters(stage="Ganado", q="a b").query(ticket="t") == "stage=Ganado&q=a+b&ticket=t"
