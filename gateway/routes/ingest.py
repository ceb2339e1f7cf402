"""The manual/demo entry point for a lead's message."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from google.protobuf import timestamp_pb2

from gateway.deps import AgentCaller, BackendsDep, require_json
from gateway.routes import DEMO_PREFIX
from gateway.schemas.errors import error_responses
from gateway.schemas.ingest import IngestMessageIn, IngestMessageOut
from gateway.webhooks.model import MT
from libs.common.errors import PermissionDenied
from vertice360.ingest.v1 import ingest_pb2

router = APIRouter(prefix=DEMO_PREFIX, tags=["ingest"], responses=error_responses(401, 403, 429))


@router.post(
    "/ingest_message",
    operation_id="ingestMessage",
    summary="A lead's message typed in by hand",
    status_code=201,
    response_model=IngestMessageOut,
    dependencies=[Depends(require_json)],
    responses={
        200: {"model": IngestMessageOut, "description": "This message id was already stored; nothing new."},
        **error_responses(400, 404, 415, 422),
    },
)
async def ingest_message(
    body: IngestMessageIn,
    caller: AgentCaller,
    backends: BackendsDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=128,
            description="Used as the message id when the body has none: a retried request stores nothing new.",
        ),
    ] = None,
) -> IngestMessageOut:
    """Creates or reuses lead, conversation and ticket and stores the message: 201 when new, 200 when repeated."""
    if body.cliente is not None and body.cliente != caller.principal.tenant:
        raise PermissionDenied("cliente is not the caller's tenant", field="cliente")
    sent_at = timestamp_pb2.Timestamp()
    sent_at.FromDatetime(datetime.now(UTC))
    message = ingest_pb2.InboundMessage(
        provider=ingest_pb2.PROVIDER_MANUAL,
        # Without a client-chosen id a retried request can't be recognised, so it would be stored twice.
        provider_message_id=body.message_id or idempotency_key or str(uuid.uuid4()),
        from_phone=body.phone,
        profile_name=body.name or "",
        sent_at=sent_at,
        type=MT.MESSAGE_TYPE_TEXT,
        text=body.text,
        project_code=body.project_code or "",
        asset_code=body.asset_code or "",
    )
    reply = await backends.ingest.IngestMessage(ingest_pb2.IngestMessageRequest(message=message), **caller.options())
    response.status_code = 200 if reply.duplicate else 201
    return IngestMessageOut.from_proto(reply)
