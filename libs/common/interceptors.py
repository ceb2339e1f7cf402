"""Server interceptors: caller authentication, deadlines, the one domain-error mapping, RPC metrics, log context."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from opentelemetry import trace

from libs.common.auth import bearer, verify_token
from libs.common.clients import ERROR_FIELD_METADATA
from libs.common.context import reset_deadline, reset_principal, set_deadline, set_principal
from libs.common.errors import InvalidArgument, status_for
from libs.common.logging import log_context
from libs.common.metrics import RPC_ERRORS, RPC_LATENCY

log = logging.getLogger(__name__)

Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]
StreamHandler = Callable[[Any, grpc.aio.ServicerContext], AsyncIterator[Any]]
# Standard services every server exposes without a caller token.
PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


class Undecodable:
    """A request body the method's message type could not parse (bad wire data, invalid UTF-8, nesting past 100)."""

    def __init__(self, error: DecodeError) -> None:
        self.error = error


def _lenient(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    # grpc answers a deserializer's exception with UNKNOWN and logs it as an error; the caller sent a bad
    # request, so the handler gets a marker instead and answers INVALID_ARGUMENT once the caller is known.
    if deserializer is None:
        return None

    def parse(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except DecodeError as exc:
            return Undecodable(exc)

    return parse


def _wrap(
    handler: grpc.RpcMethodHandler | None,
    wrap: Callable[[Handler], Handler],
    wrap_stream: Callable[[StreamHandler], StreamHandler],
) -> Any:
    if handler is None:
        return handler
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary),
            request_deserializer=_lenient(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            wrap_stream(handler.unary_stream),
            request_deserializer=_lenient(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    return handler


def _log_fields(tenant: str, rpc: str, request: Any) -> dict[str, str]:
    """Who and what the RPC is about, for every log line it writes (and its server span, when recorded)."""
    fields = {"tenant": tenant, "rpc": rpc}
    # Ticket ids are ours (UUIDs), never phones; bounded in case a caller sends anything.
    ticket_id = str(getattr(request, "ticket_id", ""))[:64]
    if ticket_id:
        fields["ticket_id"] = ticket_id
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attributes({f"v360.{key}": value for key, value in fields.items() if key != "rpc"})
    return fields


def _split(method: str) -> tuple[str, str]:
    service, _, name = method.rpartition("/")
    return service.lstrip("/"), name


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Authenticates the caller, bounds the RPC by its deadline and maps errors to status codes."""

    def __init__(self, *, auth_secret: str, default_deadline_seconds: float) -> None:
        self._secret = auth_secret
        self._default_deadline = default_deadline_seconds

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if method.startswith(PUBLIC_PREFIXES):
            return handler
        service, name = _split(method)

        def wrap(inner: Handler) -> Handler:
            async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
                started = time.perf_counter()
                code = grpc.StatusCode.OK
                token = None
                ctx_token = None
                deadline_token = None
                try:
                    metadata = dict(context.invocation_metadata() or ())
                    principal = verify_token(self._secret, bearer(metadata.get("authorization")))
                    token = set_principal(principal)
                    ctx_token = log_context.set(_log_fields(principal.tenant, name, request))
                    if isinstance(request, Undecodable):
                        raise InvalidArgument(f"the request is not a valid {name} message: {request.error}")
                    remaining = context.time_remaining()
                    budget = self._default_deadline if remaining is None else max(remaining, 0.0)
                    deadline_token = set_deadline(budget)
                    async with asyncio.timeout(budget):
                        return await inner(request, context)
                except asyncio.CancelledError:
                    code = grpc.StatusCode.CANCELLED
                    raise
                except grpc.aio.AbortError:
                    code = context.code() or grpc.StatusCode.UNKNOWN
                    raise
                except Exception as exc:
                    status = status_for(exc)
                    if status is None:
                        code = grpc.StatusCode.INTERNAL
                        RPC_ERRORS.labels(service, name).inc()
                        log.exception("unhandled error in %s", name)
                        await context.abort(code, "internal error")
                    code, message, field = status
                    if code == grpc.StatusCode.UNAVAILABLE:
                        log.warning("database unavailable in %s: %s", name, type(exc).__name__)
                    if field:
                        context.set_trailing_metadata(((ERROR_FIELD_METADATA, field),))
                    await context.abort(code, message)
                finally:
                    RPC_LATENCY.labels(service, name, code.name).observe(time.perf_counter() - started)
                    if deadline_token is not None:
                        reset_deadline(deadline_token)
                    if ctx_token is not None:
                        log_context.reset(ctx_token)
                    if token is not None:
                        reset_principal(token)

            return call

        def wrap_stream(inner: StreamHandler) -> StreamHandler:
            # Long-lived server streams (live feeds): the same caller check and error mapping, no deadline.
            async def call(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                token = None
                try:
                    metadata = dict(context.invocation_metadata() or ())
                    principal = verify_token(self._secret, bearer(metadata.get("authorization")))
                    token = set_principal(principal)
                    if isinstance(request, Undecodable):
                        raise InvalidArgument(f"the request is not a valid {name} message: {request.error}")
                    async for item in inner(request, context):
                        yield item
                except (asyncio.CancelledError, grpc.aio.AbortError):
                    raise
                except Exception as exc:
                    status = status_for(exc)
                    if status is None:
                        log.exception("unhandled error in %s", name)
                        await context.abort(grpc.StatusCode.INTERNAL, "internal error")
                    code, message, field = status
                    if field:
                        context.set_trailing_metadata((("x-error-field", field),))
                    await context.abort(code, message)
                finally:
                    if token is not None:
                        reset_principal(token)

            return call

        return _wrap(handler, wrap, wrap_stream)
