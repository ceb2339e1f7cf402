"""supervisor: delivery jobs move to the shared outbox engine (libs/common/outbox.py).

A reply's `append` row carries ingest's AppendOutboundMessageRequest, its `send` row a DeliverReply. Jobs
still open are carried over as such rows (keeping their attempts, due time and trace); the old table goes.

Revision ID: 0005
Revises: 0004
"""

import json

from alembic import op
from google.protobuf.message import Message
from sqlalchemy import text

from libs.common.outbox import table_ddl
from services.supervisor.delivery import APPEND, SEND, append_request
from services.supervisor.models import Outbound
from vertice360.supervisor.v1 import supervisor_pb2

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN_JOBS = text(
    "SELECT j.kind AS job_kind, j.attempts AS job_attempts, j.max_attempts, j.next_attempt_at,"
    " j.created_at AS queued_at, j.trace_context, o.id, o.tenant, o.idempotency_key, o.request_hash,"
    " o.ticket_id, o.message_id, o.actor, o.author_user_id, o.to_phone, o.channel, o.kind, o.text,"
    " o.template, o.buttons, o.status, o.provider, o.provider_message_id, o.error_code, o.error_title,"
    " 0 AS attempts, o.created_at, o.updated_at"
    " FROM supervisor.delivery_jobs j JOIN supervisor.outbound_messages o ON o.id = j.outbound_id"
    " WHERE j.done_at IS NULL ORDER BY j.id"
)
INSERT = text(
    "INSERT INTO supervisor.outbox (tenant, kind, payload_type, payload, dedupe_key, ordering_key, trace_context,"
    " attempts, max_attempts, scheduled_at, not_before, created_at) VALUES (:tenant, :kind, :payload_type, :payload,"
    " :dedupe_key, :ordering_key, CAST(:trace_context AS jsonb), :attempts, :max_attempts, :queued_at, :not_before,"
    " :queued_at)"
)


def upgrade() -> None:
    conn = op.get_bind()
    jobs = conn.execute(OPEN_JOBS).mappings().all()
    op.execute("DROP TABLE supervisor.delivery_jobs")
    op.execute(table_ddl("supervisor"))
    for job in jobs:
        outbound = Outbound(**{key: value for key, value in job.items() if key in Outbound.__dataclass_fields__})
        payload: Message = (
            append_request(outbound)
            if job["job_kind"] == APPEND
            else supervisor_pb2.DeliverReply(outbound_id=str(outbound.id))
        )
        conn.execute(
            INSERT,
            {
                "tenant": outbound.tenant,
                "kind": job["job_kind"],
                "payload_type": payload.DESCRIPTOR.full_name,
                "payload": payload.SerializeToString(),
                "dedupe_key": f"{job['job_kind']}:{outbound.id}",
                "ordering_key": f"{SEND}:{outbound.ticket_id}" if job["job_kind"] == SEND else None,
                "trace_context": json.dumps(job["trace_context"] or {}),
                "attempts": job["job_attempts"],
                "max_attempts": job["max_attempts"],
                "queued_at": job["queued_at"],
                "not_before": job["next_attempt_at"],
            },
        )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
