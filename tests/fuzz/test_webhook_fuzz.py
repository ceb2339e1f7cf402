"""Property-based fuzzing of the Meta and Gupshup webhook routes through the real in-process gateway (`api`).

Bodies are drawn shaped like the providers' payloads (envelopes, changes, every message type, statuses,
Gupshup v2 callbacks and v3 envelopes) with hostile values anywhere in them, encoded in several ways, and
signed correctly, wrongly, over another encoding of the same JSON, or with a truncated or mutated header.

- A Meta body whose signature is not the tenant's HMAC of exactly these bytes gets 401; a Gupshup callback
  to a token nobody owns gets 403. Neither stores anything, anywhere.
- A correctly signed (or correctly addressed) body gets 200 when it is JSON declared as JSON (else 400/415),
  and every message and status in it ends up stored or as a dead letter: each carries a fresh marker in its
  id, and the marker is looked up in ingest.messages, supervisor.delivery_statuses and ingest.dead_letters.
- Never a 5xx, never an exception in any log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from gateway.webhooks.meta import named_phone_number_ids
from libs.common.auth import SYSTEM_TENANT
from tests.fuzz.invariants import FUZZ, ExceptionLog, Ledger, LoopBridge, watching_logs
from tests.fuzz.strategies import hostile_text, json_values, nested, now_and_then, weighted
from tests.support.gateway import Api
from vertice360.ingest.v1 import ingest_pb2

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore:Generating overly large repr")]

SIGNED_EXAMPLES = 50
GUPSHUP_EXAMPLES = 40
# Each refused example is a burst of requests sent together: a refusal makes the gateway refetch the tenant
# list (at most once a second, shared by the requests waiting), so bursts keep this part to a few seconds.
REFUSED_EXAMPLES = 6
# Message and status ids carry this; each occurrence becomes a fresh marker just before the body is sent.
PLACEHOLDER = "@@ID@@"
PLACEHOLDERS = re.compile(re.escape(PLACEHOLDER))
WHATSAPP = "whatsapp_business_account"
JSON_TYPES = ("application/json", "application/json; charset=utf-8", "application/vnd.meta+json")
OTHER_TYPES = ("text/plain", "application/x-www-form-urlencoded", None)


@dataclass
class Hooks:
    """The gateway, the tenants the webhooks are for, and the invariants' ledger and log watch."""

    api: Api
    ledger: Ledger
    logs: ExceptionLog
    bridge: LoopBridge
    meta: str
    meta_route: str
    meta_secret: str
    # A second Meta tenant with its own secret: a body routed to it but signed with the first one's is refused.
    other_route: str
    other_secret: str
    gupshup: str
    gupshup_token: str
    gupshup_app: str
    since: datetime


async def _tenant(api: Api, slug: str, **channels: str) -> None:
    await api.stack.ingest.UpsertTenant(
        ingest_pb2.UpsertTenantRequest(tenant=ingest_pb2.Tenant(slug=slug, name=slug, **channels)),
        metadata=api.stack.system_md(),
        timeout=10,
    )


@pytest.fixture(scope="module")
async def hooks(api: Api, database_url: str) -> AsyncIterator[Hooks]:
    """Three channel tenants (two Meta apps, one Gupshup app) and the ledger opened after them."""
    tag = secrets.token_hex(4)
    meta, other, gupshup = f"fz-meta-{tag}", f"fz-meta2-{tag}", f"fz-gs-{tag}"
    await _tenant(api, meta, meta_phone_number_id=f"pn-{meta}", meta_app_secret=f"secret-{meta}")
    await _tenant(api, other, meta_phone_number_id=f"pn-{other}", meta_app_secret=f"secret-{other}")
    await _tenant(api, gupshup, gupshup_app=f"app-{gupshup}", gupshup_token=f"token-{gupshup}")
    ledger = await Ledger.open(database_url, fuzz_tenants=(meta, other, gupshup))
    try:
        since = (await (await ledger.conn.execute("SELECT now()")).fetchone())[0]  # type: ignore[index]
        with watching_logs() as logs:
            yield Hooks(
                api=api,
                ledger=ledger,
                logs=logs,
                bridge=LoopBridge(asyncio.get_running_loop()),
                meta=meta,
                meta_route=f"pn-{meta}",
                meta_secret=f"secret-{meta}",
                other_route=f"pn-{other}",
                other_secret=f"secret-{other}",
                gupshup=gupshup,
                gupshup_token=f"token-{gupshup}",
                gupshup_app=f"app-{gupshup}",
                since=since,
            )
    finally:
        await ledger.close()


# --- bodies ------------------------------------------------------------------------------------------------


def spoiled(value: SearchStrategy[Any], *, one_in: int = 4) -> SearchStrategy[Any]:
    """`value`, or once in `one_in` draws any hostile JSON value in its place."""
    return now_and_then(value, json_values(max_leaves=4), one_in=one_in)


def rarely_spoiled(value: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """`value`, spoiled once in ten: for the envelope's structure, so most bodies still carry messages."""
    return spoiled(value, one_in=10)


def ids() -> SearchStrategy[Any]:
    """A message or status id: the placeholder, with hostile text around it now and then, or no id at all."""
    marked = weighted(
        st.just(PLACEHOLDER), st.tuples(hostile_text(max_size=8), hostile_text(max_size=300)).map("".join)
    ).map(lambda text: text if PLACEHOLDER in text else PLACEHOLDER + text)
    return weighted(marked, st.sampled_from([None, "", 12345, [PLACEHOLDER], {"id": PLACEHOLDER}]))


PHONES = st.one_of(
    st.sampled_from(["5491155551234", "1155551234", "+54 9 11 5555-1234", "14155552671", "0", "+"]),
    hostile_text(max_size=20),
)
EPOCHS = st.one_of(
    st.sampled_from(["1767225600", 1767225600, "1767225600.5", -1, 0, "1e999", 1e308, "abc", None, 2**80]),
    st.integers(-(2**63), 2**63),
)
NUMBERS = st.one_of(st.floats(), st.sampled_from(["-34.6", "1e999", None, True]))


MESSAGE_KINDS = (
    *("text", "image", "audio", "video", "document", "sticker", "location", "contacts", "interactive"),
    *("button", "reaction", "system", "unsupported", "order", ""),
)


def meta_message() -> SearchStrategy[dict[str, Any]]:
    """One `value.messages[]` item, of any type Meta documents (or another)."""
    kinds = st.sampled_from(MESSAGE_KINDS)
    text = hostile_text(max_size=60)
    content = {
        "text": st.fixed_dictionaries({"body": spoiled(text)}),
        "image": st.fixed_dictionaries(
            {"id": text, "mime_type": st.just("image/jpeg"), "sha256": text}, optional={"caption": text}
        ),
        "audio": st.fixed_dictionaries({"id": text, "voice": st.booleans()}),
        "document": st.fixed_dictionaries({"id": text}, optional={"filename": text, "caption": text}),
        "location": st.fixed_dictionaries({"latitude": NUMBERS, "longitude": NUMBERS}, optional={"name": text}),
        "contacts": st.lists(
            st.fixed_dictionaries(
                {"name": st.fixed_dictionaries({"formatted_name": text}), "phones": st.lists(st.just({"phone": "1"}))}
            ),
            max_size=2,
        ),
        "interactive": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["button_reply", "list_reply", "nfm_reply"]),
                "button_reply": st.fixed_dictionaries({"id": st.sampled_from(["v360v:c:nope", "x"]), "title": text}),
                "list_reply": st.fixed_dictionaries({"id": text, "title": text}),
            }
        ),
        "button": st.fixed_dictionaries({"payload": text, "text": text}),
        "reaction": st.fixed_dictionaries({"message_id": text, "emoji": text}),
        "system": st.fixed_dictionaries(
            {"type": st.sampled_from(["user_changed_number", "other"]), "body": text, "new_wa_id": text}
        ),
    }

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        kind = draw(kinds)
        message = {
            "from": draw(spoiled(PHONES)),
            "id": draw(ids()),
            "timestamp": draw(EPOCHS),
            "type": kind,
        }
        message[kind or "x"] = draw(spoiled(content.get(kind, json_values(max_leaves=4))))
        if draw(st.booleans()):
            message["context"] = {"from": "5491100000000", "id": draw(text)}
        return message

    return build()


def meta_status() -> SearchStrategy[dict[str, Any]]:
    """One `value.statuses[]` item."""
    return st.fixed_dictionaries(
        {
            "id": ids(),
            "status": st.sampled_from(["sent", "delivered", "read", "played", "failed", "deleted", ""]),
            "timestamp": EPOCHS,
            "recipient_id": PHONES,
        },
        optional={"errors": st.lists(st.fixed_dictionaries({"code": EPOCHS, "title": hostile_text()}), max_size=2)},
    )


def meta_bodies(routes: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """A Meta webhook envelope: entries of changes of messages and statuses, spoiled here and there."""
    value = st.fixed_dictionaries(
        {
            "messaging_product": st.just("whatsapp"),
            "metadata": spoiled(
                st.fixed_dictionaries({"display_phone_number": st.just("5491100000000"), "phone_number_id": routes})
            ),
            "contacts": spoiled(
                st.lists(st.fixed_dictionaries({"profile": st.fixed_dictionaries({"name": hostile_text()})}))
            ),
            "messages": rarely_spoiled(st.lists(meta_message(), min_size=1, max_size=3)),
        },
        optional={
            "statuses": spoiled(st.lists(meta_status(), min_size=1, max_size=2)),
            "errors": st.lists(st.fixed_dictionaries({"code": EPOCHS, "title": hostile_text()}), max_size=1),
            "surprise": json_values(max_leaves=3),
        },
    )
    field = now_and_then(st.just("messages"), hostile_text(), one_in=10)
    change = st.fixed_dictionaries({"field": field, "value": rarely_spoiled(value)})
    changes = rarely_spoiled(st.lists(change, min_size=1, max_size=2))
    entries = rarely_spoiled(st.lists(st.fixed_dictionaries({"id": hostile_text(), "changes": changes}), min_size=1))
    objects = now_and_then(st.just(WHATSAPP), hostile_text(), one_in=10)
    return rarely_spoiled(st.fixed_dictionaries({"object": objects, "entry": entries}))


def gupshup_bodies(app: str, routes: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """A Gupshup v2 callback (message, message-event, user-event) or a v3 one (Meta's envelope)."""
    text = hostile_text(max_size=40)
    message = st.fixed_dictionaries(
        {
            "id": ids(),
            "source": spoiled(PHONES),
            "type": st.sampled_from(["text", "image", "file", "location", "contact", "quick_reply", "list_reply", "x"]),
            "payload": spoiled(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "text": text,
                        "url": text,
                        "caption": text,
                        "name": text,
                        "latitude": NUMBERS,
                        "longitude": NUMBERS,
                        "postbackText": text,
                        "title": text,
                    },
                )
            ),
            "sender": spoiled(st.fixed_dictionaries({"phone": PHONES, "name": text})),
        },
        optional={"context": st.fixed_dictionaries({"gsId": text, "id": text})},
    )
    event = st.fixed_dictionaries(
        {
            "id": ids(),
            "type": st.sampled_from(["enqueued", "sent", "delivered", "read", "failed", "deleted"]),
            "destination": PHONES,
            "payload": spoiled(st.fixed_dictionaries({}, optional={"ts": EPOCHS, "code": EPOCHS, "reason": text})),
        },
        optional={"gsId": ids()},
    )
    kind_and_payload = now_and_then(
        now_and_then(
            st.tuples(st.just("message"), spoiled(message, one_in=10)),
            st.tuples(st.just("message-event"), spoiled(event, one_in=10)),
            one_in=3,
        ),
        st.tuples(st.sampled_from(["user-event", "billing-event", ""]), json_values(max_leaves=4)),
        one_in=10,
    )
    v2 = st.builds(
        lambda kind_payload, app_name, stamp, version: {
            "app": app_name,
            "timestamp": stamp,
            "version": version,
            "type": kind_payload[0],
            "payload": kind_payload[1],
        },
        kind_and_payload,
        weighted(st.just(app), hostile_text()),
        EPOCHS,
        weighted(st.just(2), st.sampled_from([3, "2", None])),
    )
    # Mostly v2 (Gupshup's own shape), v3 now and then, anything at all rarely.
    return now_and_then(now_and_then(v2, meta_bodies(routes), one_in=4), json_values(max_leaves=6), one_in=10)


# Bodies no encoder would write: empty, cut short, not UTF-8, nested past the parser's recursion limit, NaN,
# a lone surrogate escape, a NUL escape, a BOM.
ODD_BODIES = (
    b"",
    b"{",
    b"\xff\xfe{}",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"object": NaN}',
    b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"x": 1e999}}]}]}',
    b'{"object": "\\ud800", "entry": "\\u0000"}',
    b"\xef\xbb\xbf{}",
    b"null",
    json.dumps(nested(150)).encode(),
    b"{" + b" " * 1_048_576 + b"}",
)


def infinite_location(route: str, marker: str) -> bytes:
    """A location message whose coordinates overflow to infinity (found by this fuzzing: it answered 500)."""
    message = {"id": f"wamid.{marker}", "from": "5491155551234", "timestamp": "1767225600", "type": "location"}
    value = {"metadata": {"phone_number_id": route}, "messages": [{**message, "location": {"latitude": 0}}]}
    body = {"object": WHATSAPP, "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}
    return json.dumps(body).replace('"latitude": 0', '"latitude": 1e999, "longitude": -1e999').encode()


def _mark(value: Any, markers: list[str]) -> Any:
    """`value` with every placeholder replaced by a new marker (collected in `markers`)."""

    def fresh(_: re.Match[str]) -> str:
        markers.append(secrets.token_hex(12))
        return markers[-1]

    if isinstance(value, str):
        return PLACEHOLDERS.sub(fresh, value)
    if isinstance(value, list):
        return [_mark(item, markers) for item in value]
    if isinstance(value, dict):
        return {key: _mark(item, markers) for key, item in value.items()}
    return value


ENCODINGS: dict[str, Callable[[Any], bytes]] = {
    "compact": lambda body: json.dumps(body, separators=(",", ":")).encode(),
    "utf-8": lambda body: json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"),
    "pretty": lambda body: json.dumps(body, indent=2, sort_keys=False).encode(),
    # Numbers past a double's range: a parser reads 1e999 as infinity, which JSON itself can't spell.
    "overflow": lambda body: json.dumps(body).replace("Infinity", "1e999").encode(),
}


def _strict_json(raw: bytes) -> bool:
    """Whether a strict JSON parser takes these bytes (no NaN or Infinity, no stray BOM, within recursion)."""

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    try:
        json.loads(raw, parse_constant=refuse)
    except (ValueError, RecursionError):
        return False
    return True


def _is_json_type(content_type: str | None) -> bool:
    return content_type in JSON_TYPES


@dataclass(frozen=True)
class Post:
    """One webhook request as sent."""

    path: str
    raw: bytes
    headers: dict[str, str]
    markers: tuple[str, ...] = ()

    def shown(self) -> str:
        """The request for a failure message."""
        body = self.raw[:1500] + (b"..." if len(self.raw) > 1500 else b"")
        return f"POST {self.path} {self.headers} ({len(self.raw)} bytes)\n{body!r}"


def _signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _genuine(header: str | None, raw: bytes, secret: str) -> bool:
    """Meta's rule: the header is `sha256=` and the hex HMAC-SHA256 of exactly these bytes under the app secret."""
    return header is not None and header.strip().lower() == _signature(secret, raw)


@st.composite
def bodies(draw: st.DrawFn, shapes: SearchStrategy[Any]) -> tuple[bytes, tuple[str, ...], str]:
    """Encoded bytes of a drawn body, the markers they carry, and the name of the encoding."""
    odd = draw(st.integers(0, 9)) == 0
    if odd:
        return draw(st.sampled_from(ODD_BODIES)), (), "odd"
    markers: list[str] = []
    body = _mark(draw(shapes), markers)
    encoding = draw(st.sampled_from(sorted(ENCODINGS)))
    raw = ENCODINGS[encoding](body)
    text = raw.decode("utf-8", "replace")
    return raw, tuple(marker for marker in markers if marker in text), encoding


# --- sending and checking ----------------------------------------------------------------------------------


@dataclass
class Result:
    """The answer to one request and what the request left behind."""

    status: int
    body: str
    changes: list[str]
    logs: list[str]
    unaccounted: list[str]


async def _accounted(hooks: Hooks, markers: tuple[str, ...]) -> list[str]:
    """The markers found neither in a stored message or status nor in a dead letter since the fuzzing began."""
    missing = []
    for marker in markers:
        like = f"%{marker}%"
        row = await (
            await hooks.ledger.conn.execute(
                """
                SELECT EXISTS (SELECT 1 FROM ingest.messages WHERE provider_message_id LIKE %(like)s)
                    OR EXISTS (SELECT 1 FROM supervisor.delivery_statuses WHERE provider_message_id LIKE %(like)s)
                    OR EXISTS (SELECT 1 FROM ingest.dead_letters
                                WHERE received_at >= %(since)s AND payload LIKE %(like)s)
                """,
                {"like": like, "since": hooks.since},
            )
        ).fetchone()
        if not (row and row[0]):
            missing.append(marker)
    return missing


async def send(hooks: Hooks, posts: list[Post]) -> list[Result]:
    """Sends the posts together, between two ledger snapshots."""
    tenants = [hooks.meta, hooks.gupshup, SYSTEM_TENANT]
    await hooks.ledger.settle(tenants)
    before = await hooks.ledger.snapshot()
    replies = await asyncio.gather(
        *(hooks.api.client.post(post.path, content=post.raw, headers=post.headers) for post in posts)
    )
    after = await hooks.ledger.snapshot()
    changes = hooks.ledger.changes(before, after)
    logs = hooks.logs.take()
    results = []
    for post, reply in zip(posts, replies, strict=True):
        unaccounted = await _accounted(hooks, post.markers) if reply.status_code == 200 else []
        results.append(Result(reply.status_code, reply.text[:500], changes, logs, unaccounted))
    return results


def expect(post: Post, result: Result, *, allowed: set[int]) -> None:
    """No 5xx, the expected status, no logged exception, every marker of an accepted body accounted for."""
    about = f"{result.status} {result.body}\n{post.shown()}"
    assert result.status < 500, f"server error: {about}"
    assert result.status in allowed, f"expected one of {sorted(allowed)}: {about}"
    assert result.logs == [], f"exception logged: {about}\n" + "\n".join(result.logs)
    assert result.unaccounted == [], f"neither stored nor dead-lettered: {result.unaccounted}\n{about}"
    if result.status != 200:
        assert result.changes == [], f"a refused webhook wrote to the database: {about}\n" + "\n".join(result.changes)


# --- the properties ----------------------------------------------------------------------------------------

MAX_BODY = 1_048_576


def _allowed(raw: bytes, content_type: str | None) -> set[int]:
    """What a correctly authenticated webhook must get: 200 for JSON declared as JSON, else 413, 415 or 400."""
    if len(raw) > MAX_BODY:
        return {413}
    if not _is_json_type(content_type):
        return {415}
    return {200} if _strict_json(raw) else {400}


def _named_secrets(hooks: Hooks, raw: bytes) -> list[str]:
    """The own secrets of the fuzzed tenants whose numbers these bytes name, in order."""
    if not _strict_json(raw):
        return []
    owners = {hooks.meta_route: hooks.meta_secret, hooks.other_route: hooks.other_secret}
    return [owners[pnid] for pnid in named_phone_number_ids(json.loads(raw)) if pnid in owners]


def _owner_secret(hooks: Hooks, raw: bytes) -> str | None:
    return next(iter(_named_secrets(hooks, raw)), None)


def _applies(hooks: Hooks, raw: bytes, secret: str) -> bool:
    """Whether the gateway may try `secret` on these bytes: the own secret of a tenant whose number they name."""
    return secret in _named_secrets(hooks, raw)


async def test_signed_meta_webhooks_are_stored_or_dead_lettered(hooks: Hooks) -> None:
    # Mostly the tenant's own number; else the other tenant's, none, or one nobody has (which makes the
    # gateway refetch its tenant list, at most once a second: kept rare).
    routes = now_and_then(
        st.just(hooks.meta_route), st.sampled_from([hooks.other_route, "", None, 111, "pn-unknown"]), one_in=8
    )
    content_types = now_and_then(st.sampled_from(JSON_TYPES), st.sampled_from(OTHER_TYPES), one_in=10)
    seen: dict[int, int] = {}

    # The other tenant's app secret is a valid signature too, but only for bodies naming its own number: a
    # body naming only the first tenant's is refused (401), and the first tenant's parts of a body naming
    # both are dead-lettered for the signer, not stored.
    # None: the secret of the tenant owning the first number the body names (the first tenant's if none).
    signers = weighted(st.none(), st.just(hooks.other_secret))
    marker = secrets.token_hex(12)
    overflowing = (infinite_location(hooks.meta_route, marker), (marker,), "overflow")

    @settings(FUZZ, max_examples=SIGNED_EXAMPLES)
    @given(drawn=bodies(meta_bodies(routes)), content_type=content_types, secret=signers)
    @example(drawn=overflowing, content_type=JSON_TYPES[0], secret=hooks.meta_secret)
    def run(drawn: tuple[bytes, tuple[str, ...], str], content_type: str | None, secret: str | None) -> None:
        raw, markers, _ = drawn
        secret = secret or _owner_secret(hooks, raw) or hooks.meta_secret
        headers = {"X-Hub-Signature-256": _signature(secret, raw)}
        if content_type is not None:
            headers["Content-Type"] = content_type
        post = Post("/webhooks/meta", raw, headers, markers)
        (result,) = hooks.bridge.run(send(hooks, [post]))
        seen[result.status] = seen.get(result.status, 0) + 1
        allowed = _allowed(raw, content_type)
        if allowed != {413} and not _applies(hooks, raw, secret):
            allowed = {401}
        expect(post, result, allowed=allowed)
        if result.status == 200:
            accounted.extend(markers)

    accounted: list[str] = []
    # Hypothesis runs in a worker thread; the gateway and the services keep running on this loop.
    await asyncio.to_thread(run)
    # A body naming neither tenant's number (spoiled routes, unreadable bytes) can only be signed with the
    # shared secret, which this stack has none of: those get 401, so fewer reach the services than before.
    assert seen.get(200, 0) >= SIGNED_EXAMPLES // 4, seen
    assert len(accounted) >= SIGNED_EXAMPLES // 4, f"too few messages and statuses checked: {len(accounted)}"
    print(f"\n  signed Meta webhooks: {dict(sorted(seen.items()))}, {len(accounted)} ids accounted for", end="")


async def test_gupshup_callbacks_to_a_tenants_token_are_stored_or_dead_lettered(hooks: Hooks) -> None:
    routes = st.sampled_from([hooks.meta_route, "", "pn-unknown"])
    content_types = now_and_then(st.sampled_from(JSON_TYPES), st.sampled_from(OTHER_TYPES), one_in=10)
    seen: dict[int, int] = {}

    @settings(FUZZ, max_examples=GUPSHUP_EXAMPLES)
    @given(drawn=bodies(gupshup_bodies(hooks.gupshup_app, routes)), content_type=content_types)
    def run(drawn: tuple[bytes, tuple[str, ...], str], content_type: str | None) -> None:
        raw, markers, _ = drawn
        headers = {"Content-Type": content_type} if content_type is not None else {}
        post = Post(f"/webhooks/gupshup/{hooks.gupshup_token}", raw, headers, markers)
        (result,) = hooks.bridge.run(send(hooks, [post]))
        seen[result.status] = seen.get(result.status, 0) + 1
        expect(post, result, allowed=_allowed(raw, content_type))
        if result.status == 200:
            accounted.extend(markers)

    accounted: list[str] = []
    # Hypothesis runs in a worker thread; the gateway and the services keep running on this loop.
    await asyncio.to_thread(run)
    assert seen.get(200, 0) > GUPSHUP_EXAMPLES // 2, seen
    assert len(accounted) >= GUPSHUP_EXAMPLES // 3, f"too few messages and statuses checked: {len(accounted)}"
    print(f"\n  Gupshup callbacks: {dict(sorted(seen.items()))}, {len(accounted)} ids accounted for", end="")


FORGERIES = (
    "missing",
    "empty",
    "a secret no tenant has",
    "shared secret nobody set",
    "re-encoded body",
    "truncated",
    "one hex digit changed",
    "sha1 prefix",
    "no prefix",
    "doubled",
    "non-hex",
)


def _forge(how: str, raw: bytes, secret: str) -> str | None:
    good = _signature(secret, raw)
    forged: dict[str, str | None] = {
        "missing": None,
        "empty": "",
        "a secret no tenant has": _signature("secret-of-nobody", raw),
        "shared secret nobody set": _signature("", raw),
        "re-encoded body": _signature(secret, _reencoded(raw)),
        "truncated": good[:-3],
        "one hex digit changed": good[:-1] + ("0" if good[-1] != "0" else "1"),
        "sha1 prefix": "sha1=" + good.removeprefix("sha256="),
        "no prefix": good.removeprefix("sha256="),
        "doubled": good + good.removeprefix("sha256="),
        "non-hex": good[:-2] + "zz",
    }
    return forged[how]


def _reencoded(raw: bytes) -> bytes:
    """The same JSON written another way (other spacing, escapes); the bytes themselves when it isn't JSON."""
    try:
        again = json.dumps(json.loads(raw), indent=1, ensure_ascii=True).encode()
    except (ValueError, RecursionError):
        return raw + b" "
    return again if again != raw else raw + b"\n"


async def test_unsigned_or_misaddressed_webhooks_are_refused_and_store_nothing(hooks: Hooks) -> None:
    meta = bodies(meta_bodies(st.just(hooks.meta_route)))
    gupshup = bodies(gupshup_bodies(hooks.gupshup_app, st.just(hooks.meta_route)))
    tokens = st.one_of(
        st.sampled_from(["x", hooks.gupshup_token[:-1], hooks.gupshup_token.upper(), hooks.gupshup_token + "%00"]),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~", min_size=1, max_size=40),
    )
    seen: dict[int, int] = {}

    @settings(FUZZ, max_examples=REFUSED_EXAMPLES)
    @given(
        metas=st.lists(st.tuples(meta, st.sampled_from(FORGERIES)), min_size=2, max_size=4),
        gupshups=st.lists(st.tuples(gupshup, tokens), min_size=1, max_size=2),
    )
    def run(
        metas: list[tuple[tuple[bytes, tuple[str, ...], str], str]],
        gupshups: list[tuple[tuple[bytes, tuple[str, ...], str], str]],
    ) -> None:
        posts, allowed = [], []
        for (raw, _, _), how in metas:
            header = _forge(how, raw, hooks.meta_secret)
            assert not _genuine(header, raw, hooks.meta_secret), f"forgery {how!r} is a valid signature"
            headers = {"Content-Type": "application/json"}
            if header is not None:
                headers["X-Hub-Signature-256"] = header
            posts.append(Post("/webhooks/meta", raw, headers))
            allowed.append({413} if len(raw) > MAX_BODY else {401})
        for (raw, _, _), token in gupshups:
            if token == hooks.gupshup_token:
                continue
            posts.append(Post(f"/webhooks/gupshup/{token}", raw, {"Content-Type": "application/json"}))
            allowed.append({403} if len(raw) <= MAX_BODY else {413})
        results = hooks.bridge.run(send(hooks, posts))
        for post, result, statuses in zip(posts, results, allowed, strict=True):
            seen[result.status] = seen.get(result.status, 0) + 1
            expect(post, result, allowed=statuses)

    # Hypothesis runs in a worker thread; the gateway and the services keep running on this loop.
    await asyncio.to_thread(run)
    print(f"\n  refused webhooks: {dict(sorted(seen.items()))}", end="")
