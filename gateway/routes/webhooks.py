"""Channel webhooks: Meta WhatsApp Cloud API (signed, multi-tenant) and Gupshup (path token per tenant)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import grpc
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from gateway.backends import Backends
from gateway.deps import SettingsDep, is_json
from gateway.errors import HttpError
from gateway.metrics import WEBHOOK_THROTTLED, WEBHOOKS
from gateway.ratelimit import Budget, Limiter, client_address
from gateway.schemas.errors import error_responses
from gateway.schemas.webhooks import WebhookReceipt
from gateway.settings import GatewaySettings
from gateway.webhooks.delivery import Letter, TenantWork, deliver
from gateway.webhooks.gupshup import is_meta_envelope, normalise_gupshup
from gateway.webhooks.meta import named_phone_number_ids, normalise_meta
from gateway.webhooks.model import Batch, DeadLetter, Normalised, parse_float, parse_int
from gateway.webhooks.signature import SIGNATURE_HEADER, claimed_digest, signing_secret, tenant_accepts
from gateway.webhooks.tenants import TenantDirectory, TenantSnapshot

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

META = "meta"
GUPSHUP = "gupshup"
# What a body that does not parse reads as before its signature is checked.
_UNREADABLE = object()


async def get_directory(request: Request) -> TenantDirectory:
    """The tenant cache opened by the lifespan."""
    return request.app.state.tenants


DirectoryDep = Annotated[TenantDirectory, Depends(get_directory)]


def _refuse(provider: str, result: str, error: HttpError) -> NoReturn:
    WEBHOOKS.labels(provider, result).inc()
    raise error


def _failures(request: Request) -> tuple[Limiter, str, Budget]:
    state = request.app.state
    return state.limiter, f"rl:authfail:{client_address(request.scope)}", state.auth_failure_budget


def _throttled(provider: str, retry_after: int) -> NoReturn:
    WEBHOOK_THROTTLED.labels(provider).inc()
    raise HttpError(
        429,
        f"too many failed authentications from this address; retry in {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


async def _not_throttled(request: Request, provider: str) -> None:
    """429 before a token is even looked at once this address failed too often, so guessing slows down."""
    limiter, key, budget = _failures(request)
    retry_after = await limiter.exhausted(key, budget)
    if retry_after is not None:
        _throttled(provider, retry_after)


async def _unauthenticated(request: Request, provider: str, error: HttpError) -> NoReturn:
    """Refuses with `error`, counting the failure against the client's address (429 once over its budget)."""
    limiter, key, budget = _failures(request)
    retry_after = await limiter.hit(key, budget)
    if retry_after is not None:
        _throttled(provider, retry_after)
    _refuse(provider, "unauthorized", error)


def _reject_constant(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


def _without_nul(value: Any) -> Any:
    # Postgres text can't hold U+0000 and no message needs it: dropped here, it can't fail the delivery.
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _loads(raw: bytes) -> Any:
    try:
        # Numbers no double holds stay as OutOfRange: only the part holding one fails, naming the field.
        return json.loads(raw, parse_constant=_reject_constant, parse_int=parse_int, parse_float=parse_float)
    except (ValueError, RecursionError):
        return _UNREADABLE


def checked_json(*, provider: str, content_type: str | None, raw: bytes, parsed: Any) -> Any:
    """The parsed body (U+0000 removed from every string): 415 unless declared JSON, 400 when it did not parse."""
    if not is_json(content_type):
        _refuse(provider, "bad_request", HttpError(415, "Content-Type must be application/json"))
    if parsed is _UNREADABLE:
        _refuse(provider, "bad_request", HttpError(400, "malformed JSON body"))
    # JSON can only spell U+0000 as an escape; a raw NUL byte does not parse.
    return _without_nul(parsed) if b"\\u0000" in raw else parsed


def parse_json_body(*, provider: str, content_type: str | None, raw: bytes) -> Any:
    """The body as JSON (U+0000 removed from every string): 415 unless declared JSON, 400 when it does not parse."""
    return checked_json(provider=provider, content_type=content_type, raw=raw, parsed=_loads(raw))


@contextmanager
def _counting_retries(provider: str) -> Iterator[None]:
    # A backend failure answers 5xx (mapped in gateway.errors) and the provider redelivers later.
    try:
        yield
    except grpc.aio.AioRpcError:
        WEBHOOKS.labels(provider, "retry").inc()
        raise


def _collect(batch: Batch, tenant: str, work: dict[str, TenantWork], letters: list[Letter]) -> None:
    slot = work.setdefault(tenant, TenantWork(tenant))
    slot.messages.extend(batch.messages)
    slot.statuses.extend(batch.statuses)
    letters.extend(Letter(letter, tenant) for letter in batch.dead_letters)


@router.get(
    "/meta",
    operation_id="verifyMetaWebhook",
    summary="Meta subscription handshake",
    # The challenge goes back as plain text; errors stay JSON (a PlainTextResponse class would declare them text).
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "`hub.challenge`, echoed."},
        **error_responses(
            422,
            described={
                403: "Not a subscribe request, or an unknown verify token.",
                429: "Too many failed handshakes from this address: wait for `Retry-After` seconds.",
            },
        ),
    },
)
async def meta_verify(
    request: Request,
    settings: SettingsDep,
    directory: DirectoryDep,
    mode: Annotated[str, Query(alias="hub.mode", description="Must be `subscribe`.")] = "",
    verify_token: Annotated[
        str, Query(alias="hub.verify_token", description="The shared or a tenant's Meta verify token.")
    ] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", description="Echoed back when the token is ours.")] = "",
) -> PlainTextResponse:
    """Meta's subscription handshake: echoes `hub.challenge` when the verify token is one of ours."""
    await _not_throttled(request, META)
    if mode == "subscribe" and verify_token:
        snapshot = await directory.current()
        accepted = snapshot.is_meta_verify_token(verify_token, settings.meta_verify_token)
        if not accepted:
            snapshot = await directory.refreshed()
            accepted = snapshot.is_meta_verify_token(verify_token, settings.meta_verify_token)
        if accepted:
            WEBHOOKS.labels(META, "verified").inc()
            return PlainTextResponse(challenge)
    await _unauthenticated(request, META, HttpError(403, "webhook verification failed"))


@router.post(
    "/meta",
    operation_id="receiveMetaWebhook",
    summary="Meta WhatsApp Cloud API callback",
    response_model=WebhookReceipt,
    responses=error_responses(
        400,
        described={
            401: "Missing signature, or signed with no secret that can apply to the numbers the body names.",
            429: "Too many unsigned requests from this address: wait for `Retry-After` seconds (signed ones never).",
            503: "A service is down; Meta retries and dedupe makes that safe.",
        },
    ),
)
async def meta_receive(request: Request) -> JSONResponse:
    """Verifies the signature over the raw bytes, then stores every message, status and leftover."""
    # The hottest route reads the lifespan's objects directly: resolving dependencies per request costs ~10 %.
    state = request.app.state
    with _counting_retries(META):
        body = await _meta_receive(
            request=request, settings=state.settings, backends=state.backends, directory=state.tenants
        )
    return JSONResponse(body)


async def _meta_receive(
    *, request: Request, settings: GatewaySettings, backends: Backends, directory: TenantDirectory
) -> dict[str, int]:
    raw = await request.body()
    claimed = claimed_digest(request.headers.get(SIGNATURE_HEADER))
    if claimed is None:
        await _unauthenticated(request, META, HttpError(401, f"missing or malformed {SIGNATURE_HEADER}"))
    # Parsed once, before the signature is checked, only to choose the secrets that can apply (the shared
    # one and those of the tenants owning the numbers it names): nothing in it is used unless one of them
    # signed these exact bytes. A forgery costs one parse and a bounded number of HMACs, whatever the
    # number of tenants.
    parsed = _loads(raw)
    named = named_phone_number_ids(parsed)
    snapshot = await directory.current()
    if not snapshot.knows_all(named):
        # A tenant added moments ago; the fetch happens at most once a second, whoever asks.
        snapshot = await directory.refreshed()
    signed_with = signing_secret(snapshot.signature_candidates(named, settings.meta_app_secret), raw, claimed)
    if signed_with is None:
        await _unauthenticated(request, META, HttpError(401, "invalid signature"))
    body = checked_json(provider=META, content_type=request.headers.get("content-type"), raw=raw, parsed=parsed)
    normalised = normalise_meta(body, received_at=datetime.now(UTC))
    work: dict[str, TenantWork] = {}
    letters = [Letter(letter) for letter in normalised.dead_letters]
    foreign: list[Batch] = []
    for batch in normalised.batches:
        tenant = snapshot.by_phone_number_id(batch.route)
        if tenant is None:
            reason = "unknown_phone_number_id" if batch.route else "missing_phone_number_id"
            letters.append(Letter(DeadLetter(reason, f"phone_number_id {batch.route!r}", batch.raw)))
        elif not tenant_accepts(
            tenant_secret=tenant.meta_app_secret, shared_secret=settings.meta_app_secret, signed_with=signed_with
        ):
            foreign.append(batch)
        else:
            _collect(batch, tenant.slug, work, letters)
    if foreign:
        letters.append(_foreign_letter(foreign, snapshot=snapshot, signed_with=signed_with, named=named))
    outcome = await deliver(backends=backends, provider=META, work=list(work.values()), letters=letters)
    return outcome.body()


def _foreign_letter(foreign: list[Batch], *, snapshot: TenantSnapshot, signed_with: str, named: list[str]) -> Letter:
    # The parts naming numbers of tenants that did not sign them. They are the signer's own content: kept
    # as one letter (however many parts) for the signing tenant, or for the operator when the shared app
    # signed, never for the tenants they name.
    numbers = ", ".join(dict.fromkeys(batch.route for batch in foreign))
    detail = f"signed with a secret that is not the app secret of the tenant owning phone_number_id {numbers}"
    letter = DeadLetter("app_secret_mismatch", detail, [batch.raw for batch in foreign])
    return Letter(letter, snapshot.signer(signed_with, named))


@router.post(
    "/gupshup/{token}",
    operation_id="receiveGupshupWebhook",
    summary="Gupshup callback",
    response_model=WebhookReceipt,
    responses=error_responses(
        400,
        422,
        described={
            403: "The path token belongs to no tenant.",
            429: "Too many unknown tokens from this address: wait for `Retry-After` seconds.",
            503: "A service is down; Gupshup retries and dedupe makes that safe.",
        },
    ),
)
async def gupshup_receive(
    token: Annotated[str, Path(description="The tenant's secret callback token (names and authenticates it).")],
    request: Request,
) -> JSONResponse:
    """Gupshup does not sign callbacks: the secret token in the path names and authenticates the tenant."""
    state = request.app.state
    with _counting_retries(GUPSHUP):
        body = await _gupshup_receive(token=token, request=request, backends=state.backends, directory=state.tenants)
    return JSONResponse(body)


async def _gupshup_receive(
    *, token: str, request: Request, backends: Backends, directory: TenantDirectory
) -> dict[str, int]:
    await _not_throttled(request, GUPSHUP)
    raw = await request.body()
    snapshot = await directory.current()
    tenant = snapshot.by_gupshup_token(token)
    if tenant is None:
        snapshot = await directory.refreshed()
        tenant = snapshot.by_gupshup_token(token)
    if tenant is None:
        await _unauthenticated(request, GUPSHUP, HttpError(403, "unknown callback token"))
    body = parse_json_body(provider=GUPSHUP, content_type=request.headers.get("content-type"), raw=raw)
    normalised: Normalised = normalise_gupshup(body, received_at=datetime.now(UTC))
    # v2 callbacks name their app; one that is not this tenant's means a token configured on the
    # wrong app, and its messages must not land in this tenant's inbox.
    check_app = not is_meta_envelope(body) and bool(tenant.gupshup_app)
    work: dict[str, TenantWork] = {}
    letters = [Letter(letter, tenant.slug) for letter in normalised.dead_letters]
    for batch in normalised.batches:
        if check_app and batch.route != tenant.gupshup_app:
            detail = f"app {batch.route!r} is not the tenant's Gupshup app"
            letters.append(Letter(DeadLetter("app_mismatch", detail, batch.raw), tenant.slug))
        else:
            _collect(batch, tenant.slug, work, letters)
    outcome = await deliver(backends=backends, provider=GUPSHUP, work=list(work.values()), letters=letters)
    return outcome.body()
