"""visits: the outbox moves to the shared engine (libs/common/outbox.py): protobuf payloads, leases, ordering keys.

Rows still pending in the old table are carried over, their JSON payloads turned into the requests the
engine stores; done and failed rows are history nobody reads, and go with the old table.

Revision ID: 0004
Revises: 0003
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from alembic import op
from sqlalchemy import text

from libs.common.outbox import table_ddl
from services.visits.models import Change
from services.visits.service import lead_message, ticket_update

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PENDING = text(
    "SELECT tenant, ticket_id, dedupe_key, kind, payload, trace_context, attempts, created_at, next_attempt_at "
    "FROM visits.outbox WHERE status = 'pending' ORDER BY id"
)
INSERT = text(
    "INSERT INTO visits.outbox (tenant, kind, payload_type, payload, dedupe_key, ordering_key, trace_context, "
    "attempts, scheduled_at, not_before, created_at) VALUES (:tenant, :kind, :payload_type, :payload, :dedupe_key, "
    ":ordering_key, CAST(:trace_context AS jsonb), :attempts, :created_at, :not_before, :created_at)"
)


def _change(kind: str, ticket_id: uuid.UUID, dedupe_key: str, payload: dict[str, Any]) -> Change:
    # The builders the service uses now, fed from the old JSON shape.
    if kind == "lead_message":
        buttons = [(b["id"], b["title"]) for b in payload.get("buttons") or []]
        return lead_message(ticket_id, dedupe_key=dedupe_key, text=payload["text"], buttons=buttons)
    at = payload.get("visit_scheduled_at")
    return ticket_update(
        ticket_id,
        dedupe_key=dedupe_key,
        event=payload["event_type"],
        event_payload=payload.get("event_payload") or {},
        stage=payload.get("stage") or "",
        visit_scheduled_at=datetime.fromisoformat(at) if at else None,
        clear_visit_scheduled_at=bool(payload.get("clear_visit_scheduled_at")),
    )


def upgrade() -> None:
    conn = op.get_bind()
    pending = conn.execute(PENDING).mappings().all()
    op.execute("DROP TABLE visits.outbox")
    op.execute(table_ddl("visits"))
    for row in pending:
        request = _change(row["kind"], row["ticket_id"], row["dedupe_key"], row["payload"]).payload
        conn.execute(
            INSERT,
            {
                "tenant": row["tenant"],
                "kind": row["kind"],
                "payload_type": request.DESCRIPTOR.full_name,
                "payload": request.SerializeToString(),
                "dedupe_key": row["dedupe_key"],
                "ordering_key": f"{row['kind']}:{row['ticket_id']}",
                "trace_context": json.dumps(row["trace_context"] or {}),
                "attempts": row["attempts"],
                "created_at": row["created_at"] or datetime.now(UTC),
                "not_before": row["next_attempt_at"],
            },
        )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
