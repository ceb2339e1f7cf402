"""The one place the console turns failures into what a user reads (Spanish) and an HTTP status."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import grpc

from gateway.errors import http_status_for

log = logging.getLogger(__name__)

GENERIC: Mapping[grpc.StatusCode, str] = {
    grpc.StatusCode.INVALID_ARGUMENT: "Revisá los datos: hay un valor que no es válido.",
    grpc.StatusCode.FAILED_PRECONDITION: "No se puede hacer en el estado actual del ticket.",
    grpc.StatusCode.PERMISSION_DENIED: "Tu rol no permite hacer esto.",
    grpc.StatusCode.NOT_FOUND: "No lo encontramos: puede que ya no exista.",
    grpc.StatusCode.ALREADY_EXISTS: "Ya existe o cambió mientras tanto. Actualizá y probá de nuevo.",
    grpc.StatusCode.ABORTED: "No se puede hacer en el estado actual del ticket.",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "Demasiados pedidos seguidos. Esperá unos segundos.",
    grpc.StatusCode.UNAVAILABLE: "El servicio no responde en este momento. Probá de nuevo en unos segundos.",
    grpc.StatusCode.DEADLINE_EXCEEDED: "El servicio tardó demasiado. Probá de nuevo.",
}
# What a refusal means for the person at the screen, by (code, field the service named).
SPECIFIC: Mapping[tuple[grpc.StatusCode, str], str] = {
    (grpc.StatusCode.ALREADY_EXISTS, "starts_at"): "Ese horario se superpone con otra visita del agente.",
    (grpc.StatusCode.INVALID_ARGUMENT, "starts_at"): "Elegí un horario futuro (hasta un año).",
    (grpc.StatusCode.ALREADY_EXISTS, "proposal_id"): "La visita ya cambió (confirmada, reprogramada o cancelada).",
    (grpc.StatusCode.ABORTED, "text"): "Ventana de 24 h cerrada: solo plantillas.",
    (grpc.StatusCode.INVALID_ARGUMENT, "text"): "Escribí un mensaje (hasta 4096 caracteres).",
    (grpc.StatusCode.INVALID_ARGUMENT, "reason"): "Indicá el motivo.",
    (grpc.StatusCode.INVALID_ARGUMENT, "lost_reason"): "Elegí un motivo de la lista.",
    (grpc.StatusCode.FAILED_PRECONDITION, "ticket_id"): "No hay supervisores activos para escalar.",
    (grpc.StatusCode.NOT_FOUND, "user_id"): "Ese usuario no está activo.",
    (grpc.StatusCode.INVALID_ARGUMENT, "template.parameters"): "Completá todos los campos de la plantilla.",
}


def field_of(exc: grpc.aio.AioRpcError) -> str:
    """The request field the service named, if any."""
    for key, value in exc.trailing_metadata() or ():
        if key == "x-error-field":
            return value if isinstance(value, str) else value.decode()
    return ""


def explain(exc: grpc.aio.AioRpcError) -> tuple[int, str]:
    """The HTTP status and the Spanish message for a failed service call."""
    code = exc.code()
    status = http_status_for(code)
    if status >= 500:
        log.warning("service call failed: %s %s", code.name, exc.details())
    message = SPECIFIC.get((code, field_of(exc))) or GENERIC.get(code) or "Algo falló. Probá de nuevo."
    return status, message
