"""Property-based fuzzing of every operation in the gateway's OpenAPI (Schemathesis) against a real `v360 up`.

One stack for the module, started as the README says. Every generated request, valid or not, with the demo tenant's
admin token or with none, must get an answer below 500; every error answer must be the one JSON error shape; and the
services must log no unhandled exception while it runs. Ids, slugs and webhook tokens in generated requests are
often swapped for the demo tenant's real ones, so the fuzzing also reaches the rows behind them, not only the
"not found" path. Inputs the fuzzing once found to fail are kept as fixed cases.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis.checks import not_a_server_error

from tests.e2e.test_dev_stack import RunningStack, start_stack, stop_stack
from tests.support.builders import tomorrow_at
from tests.support.servers import isolated_env

pytestmark = pytest.mark.e2e

PREFIX = "/api/demo/vertice360-orquestador"
DEMO_TENANT = "vertice360"
FUZZ_USER = "fuzz-admin"
# The demo tenant's webhook secrets, set for this stack so fuzzing also gets past the token checks.
GUPSHUP_TOKEN = f"fuzz-gupshup-{secrets.token_hex(6)}"
META_VERIFY_TOKEN = f"fuzz-verify-{secrets.token_hex(6)}"
# Far above what the run sends, so every request reaches the route rather than the limiter's 429.
BUDGET = "1000000"
# Per operation: valid and invalid cases with the admin token, a mix of both without one (~1 min on 2 cores).
ADMIN_EXAMPLES = 25
ANONYMOUS_EXAMPLES = 10
# No example database: a failure is reported with its request (curl) instead of being replayed from a .hypothesis dir.
FUZZ = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    print_blob=False,
    # A failure's own message carries the request as curl; Hypothesis' seed hints would only add noise.
    verbosity=Verbosity.quiet,
)
LOGGED_FAILURE = re.compile(r"Traceback|unhandled error", re.IGNORECASE)
# The last line of a logged traceback, which names the exception.
EXCEPTION_LINE = re.compile(r"\|\s+\w+(\.\w+)*(Error|Exception)\b.*:")


@pytest.fixture(scope="module")
def fuzz_env() -> Iterator[dict[str, str]]:
    """The environment for `v360 up`: a fresh database and another Redis db when given, rate limits out of reach."""
    env = {
        **os.environ,
        "RATE_LIMIT_PER_IP": BUDGET,
        "RATE_LIMIT_PER_TENANT": BUDGET,
        "V360_DEMO_GUPSHUP_TOKEN": GUPSHUP_TOKEN,
        "V360_DEMO_META_VERIFY_TOKEN": META_VERIFY_TOKEN,
    }
    with isolated_env(env, prefix="v360_fuzz") as isolated:
        yield isolated


@pytest.fixture(scope="module")
def fuzz_stack(fuzz_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """`v360 up` for the whole module, its stdout and stderr kept in a log file."""
    running = start_stack(fuzz_env, tmp_path_factory.mktemp("v360-fuzz") / "data")
    try:
        yield running
    finally:
        stop_stack(running)


@dataclass(frozen=True)
class Demo:
    """The demo tenant's admin token and a few of its real rows."""

    token: str
    ticket_ids: tuple[str, ...]
    proposal_ids: tuple[str, ...]
    agent_ids: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def demo(fuzz_stack: RunningStack) -> Demo:
    """Two tickets of the demo tenant, one with a proposed visit, made through the API before fuzzing."""
    issued = fuzz_stack.v360("token", "--tenant", DEMO_TENANT, "--role", "admin", "--user-id", FUZZ_USER)
    assert issued.returncode == 0, issued.stderr
    headers = {"Authorization": f"Bearer {issued.stdout.strip()}"}
    tickets = []
    with httpx.Client(base_url=fuzz_stack.url, headers=headers, timeout=30) as client:
        for phone in ("1155550101", "+5491155550102"):
            reply = client.post(f"{PREFIX}/ingest_message", json={"phone": phone, "text": "Quiero visitar"})
            assert reply.status_code == 201, reply.text
            tickets.append(reply.json()["ticket_id"])
        users = client.get(f"{PREFIX}/bootstrap").json()["users"]
        agent = next(user["id"] for user in users if user["role"] == "agent")
        proposed = client.post(
            f"{PREFIX}/visit/propose",
            json={"ticket_id": tickets[0], "starts_at": tomorrow_at(15, days=9).isoformat(), "agent_user_id": agent},
        )
        assert proposed.status_code == 201, proposed.text
    return Demo(
        token=issued.stdout.strip(),
        ticket_ids=tuple(tickets),
        proposal_ids=(proposed.json()["proposal"]["id"],),
        agent_ids=(agent,),
    )


@pytest.fixture(scope="module")
def operations(fuzz_stack: RunningStack) -> list[schemathesis.APIOperation]:
    """Every operation of the OpenAPI document the running gateway serves (Prometheus' /metrics is not one)."""
    loaded = schemathesis.openapi.from_url(f"{fuzz_stack.url}/openapi.json", timeout=10).exclude(path="/metrics")
    found = [result.ok() for result in loaded.get_all_operations()]
    assert len(found) >= 10, [operation.label for operation in found]
    return found


def one_error_shape(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx/5xx body is `{"error": {"code", "message", "details"}}`."""
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"{response.status_code} with a body that is not JSON: {response.content[:200]!r}"
        ) from None
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error shape: {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message", "details"}, f"not the error shape: {body!r}"
    assert isinstance(error["code"], str) and error["code"], f"error.code must be a non-empty string: {body!r}"
    assert isinstance(error["message"], str) and error["message"], f"error.message must be a non-empty string: {body!r}"
    assert isinstance(error["details"], list), f"error.details must be a list: {body!r}"


def no_dashboard_data_without_a_token(ctx: Any, response: Any, case: Any) -> None:
    """Without a bearer token the dashboard API never answers 2xx (operations declared public aside: login...)."""
    if case.path.startswith(PREFIX) and case.operation.definition.raw.get("security"):
        assert response.status_code >= 400, f"{case.method} {case.path} answered {response.status_code} without a token"


def _picks(value: object) -> int:
    # A stable choice per generated value, so a failing example replays the same request.
    return zlib.crc32(str(value).encode())


def _aim(values: dict[str, Any] | None, name: str, real: tuple[str, ...], *, only_uuids: bool = False) -> None:
    """Replaces values[name] by one of `real` for about half of the generated values."""
    if not values or name not in values:
        return
    value = values[name]
    if only_uuids and not (isinstance(value, str) and _is_uuid(value)):
        return
    if _picks(value) % 2 == 0:
        values[name] = real[_picks(value) // 2 % len(real)]


def aim_at_real_rows(case: Any, demo: Demo) -> None:
    """Swaps about half of the ids, slugs and webhook tokens of a valid case for the demo tenant's real ones."""
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    _aim(case.path_parameters, "ticket_id", demo.ticket_ids)
    _aim(case.path_parameters, "agent_user_id", demo.agent_ids)
    _aim(case.path_parameters, "token", (GUPSHUP_TOKEN,))
    _aim(case.query, "cliente", (DEMO_TENANT,))
    _aim(case.query, "hub.mode", ("subscribe",))
    _aim(case.query, "hub.verify_token", (META_VERIFY_TOKEN,))
    if isinstance(case.body, dict):
        _aim(case.body, "ticket_id", demo.ticket_ids, only_uuids=True)
        _aim(case.body, "proposal_id", demo.proposal_ids, only_uuids=True)
        _aim(case.body, "agent_user_id", demo.agent_ids)
        _aim(case.body, "cliente", (DEMO_TENANT,))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


Send = Callable[[schemathesis.Case], int]


def run_cases(cases: SearchStrategy[schemathesis.Case], send: Send, *, max_examples: int) -> Counter[int]:
    """Sends generated cases until Hypothesis is done (or one fails, shrunk); returns the statuses they got."""
    statuses: Counter[int] = Counter()

    @settings(FUZZ, max_examples=max_examples)
    @given(case=cases)
    def run(case: schemathesis.Case) -> None:
        statuses[send(case)] += 1

    try:
        run()
    except Unsatisfiable:
        # Only negative generation gets here: an operation whose every input is valid (no body, free-form
        # strings only) has no invalid request to make.
        if statuses:
            raise
    return statuses


def fuzz(
    subtests: pytest.Subtests,
    operations: list[schemathesis.APIOperation],
    strategy: Callable[[schemathesis.APIOperation], SearchStrategy[schemathesis.Case]],
    send: Send,
    *,
    max_examples: int,
) -> None:
    """Fuzzes each operation in a subtest of its own and prints the statuses each one answered."""
    for operation in operations:
        with subtests.test(msg=operation.label):
            statuses = run_cases(strategy(operation), send, max_examples=max_examples)
            print(f"\n  {operation.label}: {dict(sorted(statuses.items()))}", end="")


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_admin_requests_never_get_a_server_error(
    subtests: pytest.Subtests,
    operations: list[schemathesis.APIOperation],
    demo: Demo,
    mode: schemathesis.GenerationMode,
) -> None:
    def send(case: schemathesis.Case) -> int:
        aim_at_real_rows(case, demo)
        # The demo admin's token wins over any Authorization value generated from the security scheme.
        response = case.call(headers=demo.headers, timeout=30)
        case.validate_response(response, checks=[not_a_server_error, one_error_shape], headers=demo.headers)
        return response.status_code

    def strategy(operation: schemathesis.APIOperation) -> SearchStrategy[schemathesis.Case]:
        return operation.as_strategy(generation_mode=mode)

    fuzz(subtests, operations, strategy, send, max_examples=ADMIN_EXAMPLES)


def test_requests_without_a_token_never_get_a_server_error_or_data(
    subtests: pytest.Subtests, operations: list[schemathesis.APIOperation], demo: Demo
) -> None:
    def strategy(operation: schemathesis.APIOperation) -> SearchStrategy[schemathesis.Case]:
        return st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode))

    def send(case: schemathesis.Case) -> int:
        aim_at_real_rows(case, demo)
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        response = case.call(timeout=30)
        case.validate_response(
            response, checks=[not_a_server_error, one_error_shape, no_dashboard_data_without_a_token]
        )
        return response.status_code

    fuzz(subtests, operations, strategy, send, max_examples=ANONYMOUS_EXAMPLES)


# Inputs fuzzing found, kept as fixed cases: offsets that push a time past year 1 or 9999 in UTC, and a visit that
# would end after 9999-12-31.
EDGE_TIMES = ["0001-01-01T00:01:00+01:01", "9999-12-31T23:00:00-01:00", "9999-12-31T23:59:59+00:00"]


@pytest.mark.parametrize("starts_at", EDGE_TIMES)
@pytest.mark.parametrize("step", ["propose", "reschedule"])
def test_visit_times_at_the_ends_of_the_calendar_are_a_4xx(
    fuzz_stack: RunningStack, demo: Demo, step: str, starts_at: str
) -> None:
    target = {"ticket_id": demo.ticket_ids[1]} if step == "propose" else {"proposal_id": demo.proposal_ids[0]}
    reply = httpx.post(
        f"{fuzz_stack.url}{PREFIX}/visit/{step}",
        json={**target, "starts_at": starts_at},
        headers=demo.headers,
        timeout=30,
    )
    assert reply.status_code in {400, 422}, reply.text
    assert "starts_at" in reply.text, reply.text


def test_services_logged_no_unhandled_exception(fuzz_stack: RunningStack) -> None:
    """Runs after the fuzzing: nothing in `v360 up`'s output (every child's stdout and stderr) failed unhandled."""
    lines = fuzz_stack.output().splitlines()
    failures = [line[:500] for line in lines if LOGGED_FAILURE.search(line) or EXCEPTION_LINE.search(line)]
    assert failures == [], "\n".join(failures[:40])
    assert fuzz_stack.process.poll() is None, "v360 up exited during the fuzzing"
