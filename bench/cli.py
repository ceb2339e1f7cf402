"""The benchmark command: starts a stack, runs the measurements, prints tables and writes JSON and a PNG."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import grpc

from bench import ceiling, dashboard, dataset, delivery, forged, grpc_ingest, plot, scheduling, visits
from bench import console as console_bench
from bench.stack import RunningStack, interrupt_on_sigterm, v360_up
from bench.webhooks import summary as webhook_summary
from bench.webhooks import webhook_benchmark
from devstack.seed import upsert_agents
from devstack.stackfile import load_secret
from libs.common.clients import metadata_for
from vertice360.ingest.v1 import ingest_pb2
from vertice360.supervisor.v1 import supervisor_pb2, supervisor_pb2_grpc

PARTS = ("webhooks", "grpc", "ceiling", "dashboard", "visits", "scheduling", "delivery", "console", "forged")
# Parts that run on every replica plan; the others once, on the first stack.
PER_PLAN = ("webhooks", "grpc")
# The load generator is one IP and one tenant per part standing in for many users: the dashboard
# API's rate limits (per IP and tenant, per minute) would measure the limiter, not the stack.
# Likewise the forged part sends only failures: every one must cost what rejecting a forgery costs, not a 429.
STACK_ENV = {
    "RATE_LIMIT_PER_IP": "100000000",
    "RATE_LIMIT_PER_TENANT": "100000000",
    "WEBHOOK_AUTH_FAILURES_PER_IP": "100000000",
}
BENCH_PASSWORD = "bench-console-password"


def _machine() -> dict[str, object]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def _numbers(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def _parts(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(PARTS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(PARTS)} (comma separated), not {text!r}")
    return chosen


def build_parser() -> argparse.ArgumentParser:
    """The options of `make bench ARGS=...`."""
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "--only", type=_parts, default=list(PARTS), help=f"parts to run, comma separated: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--rates", default="500,1000,1500,2000,2500,3000", help="webhooks: offered messages/s per step, comma list"
    )
    parser.add_argument("--leads", type=int, default=2000, help="webhooks: conversations the messages come from")
    parser.add_argument("--steps", default="1,4,16,32", help="gRPC: concurrent callers per step, comma list")
    parser.add_argument("--seconds", type=float, default=8.0, help="webhooks and gRPC: duration of each step")
    parser.add_argument("--ceiling-clients", default="1,4,16,32", help="ceiling: pgbench clients per run, comma list")
    parser.add_argument("--ceiling-seconds", type=float, default=3.0, help="ceiling: duration of each pgbench run")
    parser.add_argument("--tickets", type=int, default=10_000, help="dashboard data set: tickets in one tenant")
    parser.add_argument("--messages-per-ticket", type=int, default=20, help="dashboard data set: messages each")
    parser.add_argument("--requests", type=int, default=300, help="dashboard: requests per read path")
    parser.add_argument("--visits", type=int, default=300, help="visits: tickets to propose and confirm a visit on")
    parser.add_argument("--replies", type=int, default=300, help="delivery: replies to send, one per ticket")
    parser.add_argument(
        "--future-visits", type=int, default=500, help="scheduling: future visits of the agent whose slots are read"
    )
    parser.add_argument("--slot-requests", type=int, default=200, help="scheduling: slot queries to time")
    parser.add_argument("--race-leads", type=int, default=50, help="scheduling: leads tapping the same offered time")
    parser.add_argument("--concurrency", type=int, default=8, help="visits and delivery: concurrent callers")
    parser.add_argument("--live-pages", type=int, default=200, help="console: live feed connections on one process")
    parser.add_argument("--live-rate", type=float, default=100.0, help="console: webhook messages/s meanwhile")
    parser.add_argument("--live-seconds", type=float, default=20.0, help="console: how long the webhooks come")
    parser.add_argument(
        "--forged-tenants", default="3,1000", help="forged: tenant counts to compare, comma list (smallest first)"
    )
    parser.add_argument("--forged-requests", type=int, default=60, help="forged: 1 MiB forgeries sent per count")
    parser.add_argument(
        "--replicas",
        default="",
        help="webhooks and gRPC once per replica plan, ';' separated, e.g. 'ingest=1;ingest=2' "
        "(default: one process each)",
    )
    parser.add_argument("--out", default="bench/results", help="folder for the JSON and PNG results")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parses options, runs the benchmark, prints and saves the results."""
    interrupt_on_sigterm()
    args = build_parser().parse_args(argv)
    steps = _numbers(args.steps)
    rates = [float(rate) for rate in _numbers(args.rates)]
    clients = _numbers(args.ceiling_clients)
    parts = set(args.only)
    result: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": _machine(),
        "parts": [part for part in PARTS if part in parts],
    }
    plans = [plan.strip() for plan in args.replicas.split(";") if plan.strip()] or [""]
    failures: list[str] = []

    def attempt(part: str, run: Callable[[], Any]) -> Any:
        # One failing part must not throw away the minutes of the others: it is reported, and the exit code says so.
        try:
            return run()
        except Exception as exc:
            failures.append(f"{part}: {type(exc).__name__}: {exc}")
            print(f"!! {part} failed: {type(exc).__name__}: {exc}", flush=True)
            return None

    for index, plan in enumerate(plans):
        if index and not parts & set(PER_PLAN):
            break
        name = plan or "default"
        with v360_up(extra_args=("--replicas", plan) if plan else (), env=STACK_ENV) as stack:
            print(f"\n== stack {stack.url}, replicas: {plan or 'one process per service'}", flush=True)
            if "webhooks" in parts:
                rows = attempt(
                    "webhooks", lambda: _webhooks(stack, rates=rates, seconds=args.seconds, leads=args.leads)
                )
                if rows is not None:
                    result.setdefault("webhooks_by_replicas", {})[name] = rows
                    result.setdefault("webhooks", rows)
            if "grpc" in parts:
                rows = attempt("grpc", lambda: _grpc(stack, steps=steps, seconds=args.seconds))
                if rows is not None:
                    result.setdefault("grpc_by_replicas", {})[name] = rows
                    result.setdefault("grpc", rows)
            if index:
                continue
            once: dict[str, Callable[[], Any]] = {
                "ceiling": lambda: _ceiling(stack, clients=clients, seconds=args.ceiling_seconds),
                "visits": lambda: _visits(stack, count=args.visits, concurrency=args.concurrency),
                "scheduling": lambda: _scheduling(
                    stack,
                    visits=args.future_visits,
                    requests=args.slot_requests,
                    leads=args.race_leads,
                    concurrency=args.concurrency,
                ),
                "delivery": lambda: _delivery(stack, count=args.replies, concurrency=args.concurrency),
                "dashboard": lambda: _dashboard(
                    stack, tickets=args.tickets, per_ticket=args.messages_per_ticket, requests=args.requests
                ),
                "console": lambda: _console(stack, args=args, dataset_ready="dashboard" in parts),
                "forged": lambda: _forged(
                    stack, tenant_counts=_numbers(args.forged_tenants), requests=args.forged_requests
                ),
            }
            for part, run in once.items():
                if part in parts:
                    measured = attempt(part, run)
                    if measured is not None:
                        result[part] = measured

    add_ratios(result)
    report(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"\nresults: {path}")
    image = plot.plot(result, path.with_suffix(".png"))
    if image is not None:
        print(f"plot:    {image}")
    if failures:
        result["failures"] = failures
        path.write_text(json.dumps(result, indent=2))
        print("\nFAILED: " + "; ".join(failures))
        return 1
    return 0


def add_ratios(result: dict[str, Any]) -> None:
    """Adds `ceiling_ratio` to every webhook and gRPC row: msg/s over the ceiling of the same kind of message.

    Webhook steps send messages of known leads (after a warm-up), gRPC steps first messages of new leads.
    """
    measured = result.get("ceiling") or {}
    for key, top in (
        ("webhooks_by_replicas", measured.get("ceiling_known_lead")),
        ("grpc_by_replicas", measured.get("ceiling")),
    ):
        for rows in (result.get(key) or {}).values():
            for row in rows:
                row["ceiling_ratio"] = ceiling.ratio(float(row["messages_per_second"]), top)
    for rows in (result.get("webhooks_by_replicas") or {}).values():
        result.setdefault("webhooks_summary", webhook_summary(rows))


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def report(result: Mapping[str, Any]) -> None:
    """Prints a short table for every part in `result`."""
    top = (result.get("ceiling") or {}).get("ceiling")
    header = f"{'load':>8} {'msg/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}"
    header += f" {'x ceiling':>9}"
    titles = {
        "webhooks_by_replicas": "webhook path, open loop (signed Meta text -> gateway -> ingest -> Postgres -> 200)",
        "grpc_by_replicas": "gRPC IngestMessage straight at ingest (no gateway)",
    }
    for key, title in titles.items():
        for plan, rows in (result.get(key) or {}).items():
            print(f"\n{title}, replicas: {plan}")
            print(header)
            for row in rows:
                load = row.get("offered_per_second") or row.get("concurrency")
                print(
                    f"{_cell(load):>8} {row['messages_per_second']:>8} {row['p50_ms']:>8} {row['p95_ms']:>8} "
                    f"{row['p99_ms']:>8} {row['max_ms']:>8} {row['errors']:>7} {_cell(row.get('ceiling_ratio')):>9}"
                    + (f"  {'holds' if row['holds'] else 'BREAKS'}" if "holds" in row else "")
                )
                if row.get("cpu_us_per_message"):
                    spent = ", ".join(f"{name} {us}" for name, us in row["cpu_us_per_message"].items() if us)
                    print(f"{'':>8} CPU us/message: {spent}, load generator {row['generator_cpu_us_per_message']}")
    held = result.get("webhooks_summary")
    if held:
        print(
            f"\nwebhooks held up to {held['sustained_per_second']} msg/s; first step that broke: offered "
            f"{_cell(held['breaks_at_offered'])}/s (holds = {held['holds_when']})"
        )
    measured = result.get("ceiling")
    if measured:
        print("\ndatabase ceiling: ingest's transaction by pgbench (-M prepared) straight at the same Postgres")
        print(f"{'script':<11} {'clients':>7} {'tps':>8} {'avg ms':>8} {'failed':>7}")
        for kind in ceiling.SCRIPTS:
            for row in measured.get(kind, []):
                print(f"{kind:<11} {row['clients']:>7} {row['tps']:>8} {row['latency_ms']:>8} {row['failed']:>7}")
        known = measured.get("ceiling_known_lead")
        print(f"ceiling: known lead (as the webhook steps send) {known} msg/s; new lead (as gRPC sends) {top}")
    if result.get("visits"):
        print("\nvisits through the gateway (distinct tickets)")
        print(f"{'operation':<9} {'callers':>7} {'ops/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for row in result["visits"]:
            print(
                f"{row['operation']:<9} {row['concurrency']:>7} {row['ops_per_second']:>7} {row['p50_ms']:>8} "
                f"{row['p95_ms']:>8} {row['p99_ms']:>8} {row['errors']:>7}"
            )
    sent = result.get("delivery")
    if sent:
        print(
            f"\nreply delivery: POST supervisor/send -> outbox -> worker -> sandbox provider "
            f"({sent['replies']} replies, {sent['concurrency']} callers)"
        )
        print(
            f"{sent['sent']} sent, {sent['failed']} failed, {sent['not_sent_in_time']} not sent in time, "
            f"{sent['errors']} refused; {sent['replies_per_second']} replies/s end to end "
            f"(accepted {sent['accepted_per_second']}/s)"
        )
        print(f"{'latency':<28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for prefix, name in (
            ("accept_", "accepted (201)"),
            ("timeline_", "stored -> in ticket timeline"),
            ("sent_", "stored -> sent to provider"),
        ):
            print(
                f"{name:<28} {sent[prefix + 'p50_ms']:>8} {sent[prefix + 'p95_ms']:>8} "
                f"{sent[prefix + 'p99_ms']:>8} {sent[prefix + 'max_ms']:>8}"
            )
    planned = result.get("scheduling")
    if planned:
        slots, race = planned["slots"], planned["race"]
        print(
            f"\nfree slots of an agent with {slots['future_visits']} future visits (a week, {slots['requests']} "
            f"queries): p50 {slots['p50_ms']} ms, p95 {slots['p95_ms']} ms, p99 {slots['p99_ms']} ms "
            f"({'holds' if slots['holds'] else 'BREAKS'} p95 < 30 ms)"
        )
        print(
            f"booking race: {race['leads']} leads tap one time -> {race['bookings']} booking(s), "
            f"{race['fresh_lists_due']} fresh lists; all taps answered in {race['seconds']} s, "
            f"tap p95 {race['tap_p95_ms']} ms ({'holds' if race['holds'] else 'BREAKS'})"
        )
    rejected = result.get("forged")
    if rejected:
        print(f"\nforged {rejected['body_bytes']}-byte Meta webhooks, rejected (gateway CPU per request)")
        print(f"{'tenants':>8} {'named':>6} {'requests':>8} {'gateway ms':>10} {'ingest ms':>9}  statuses")
        for row in rejected["rows"]:
            print(
                f"{row['tenants']:>8} {row['named_numbers']:>6} {row['requests']:>8} "
                f"{row['gateway_cpu_ms_per_request']:>10} {row['ingest_cpu_ms_per_request']:>9}  {row['statuses']}"
            )
        verdict = "holds" if rejected["holds"] else "BREAKS"
        print(f"ratio many/few tenants: {rejected['ratio']} ({verdict}: at most {forged.MAX_RATIO})")
    board = result.get("dashboard")
    if board:
        print(f"\ndashboard reads through the gateway ({board['tickets']} tickets, {board['messages']} messages)")
        print(f"{'read path':<32} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
        for row in board["reads"]:
            print(
                f"{row['name']:<32} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8} "
                f"{row['errors']:>7}"
            )
        print(f"sequential scans of messages in the query plans: {board['seq_scans_of_messages'] or 'none'}")
    shown = result.get("console")
    if shown:
        print(f"\nconsole: inbox server time ({shown['tickets']} tickets, {shown['messages']} messages, one user)")
        print(f"{'page or fragment':<32} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
        for row in shown["inbox"]:
            print(
                f"{row['name']:<32} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8} "
                f"{row['errors']:>7}"
            )
        live = shown["live"]
        print(
            f"console live: {live['pages']} pages on one process, webhooks at {live['offered_per_second']}/s for "
            f"{live['seconds']} s: message-to-screen p50 {live['p50_ms']} ms, p95 {live['p95_ms']} ms, "
            f"p99 {live['p99_ms']} ms, max {live['max_ms']} ms; {live['deliveries_seen']} of "
            f"{live['deliveries_expected']} deliveries seen"
        )


def _webhooks(stack: RunningStack, *, rates: list[float], seconds: float, leads: int) -> list[dict[str, object]]:
    secret = secrets.token_hex(16)
    phone_number_id = str(900000000000000 + secrets.randbelow(10**12))
    stack.v360(
        "tenant", "add", "bench-webhooks", "--meta-phone-number-id", phone_number_id, "--meta-app-secret", secret
    )
    print(f"-- webhooks: {leads} leads warmed up, then offered {rates} msg/s, {seconds:g} s each", flush=True)
    return webhook_benchmark(
        base_url=stack.url,
        data_dir=stack.data_dir,
        secret=secret,
        phone_number_id=phone_number_id,
        rates=rates,
        seconds=seconds,
        leads=leads,
    )


def _forged(stack: RunningStack, *, tenant_counts: list[int], requests: int) -> dict[str, object]:
    secret = load_secret(stack.data_dir)
    if secret is None:
        raise RuntimeError(f"no auth secret in {stack.data_dir}")
    print(f"-- forged: {requests} forged 1 MiB webhooks at {tenant_counts} tenants", flush=True)
    return forged.forged_benchmark(
        base_url=stack.url,
        data_dir=stack.data_dir,
        target=stack.state()["targets"]["ingest"],
        secret=secret,
        tenant_counts=tenant_counts,
        requests=requests,
    )


def _ceiling(stack: RunningStack, *, clients: list[int], seconds: float) -> dict[str, object]:
    print(f"-- ceiling: pgbench at {clients} clients, {seconds:g} s each", flush=True)
    return ceiling.measure(stack.state()["database_url"], clients=clients, seconds=seconds)


def _service_token(stack: RunningStack, tenant: str) -> str:
    stack.v360("tenant", "add", tenant)
    return stack.v360("token", "--tenant", tenant, "--role", "service")


def _grpc(stack: RunningStack, *, steps: list[int], seconds: float) -> list[dict[str, object]]:
    token = _service_token(stack, "bench-grpc")
    print(f"-- gRPC IngestMessage: steps {steps}, {seconds:g} s each", flush=True)
    target = stack.state()["targets"]["ingest"]
    return asyncio.run(grpc_ingest.grpc_benchmark(target=target, token=token, steps=steps, seconds=seconds))


def _tickets(stack: RunningStack, tenant: str, *, count: int, provider: int) -> tuple[list[str], str]:
    """`count` new tickets in a new tenant, and a supervisor's token there."""
    service = _service_token(stack, tenant)
    target = stack.state()["targets"]["ingest"]
    ids = asyncio.run(grpc_ingest.create_tickets(target=target, token=service, count=count, provider=provider))
    user = stack.v360("token", "--tenant", tenant, "--role", "supervisor", "--user-id", "bench-supervisor")
    return ids, user


def _agents(stack: RunningStack, tenant: str, *, count: int) -> list[str]:
    """`count` active agents of the tenant (visits books only real users); their ids."""
    target = stack.state()["targets"]["supervisor"]
    metadata = metadata_for(_service_token(stack, tenant))
    names = [f"{tenant}-agent-{n}" for n in range(count)]
    return asyncio.run(upsert_agents(target=target, metadata=metadata, tenant=tenant, names=names))


def _visits(stack: RunningStack, *, count: int, concurrency: int) -> list[dict[str, object]]:
    ids, token = _tickets(stack, "bench-visits", count=count, provider=ingest_pb2.PROVIDER_META)
    agents = _agents(stack, "bench-visits", count=visits.AGENTS)
    print(f"-- visits: propose then confirm on {count} tickets, {concurrency} callers", flush=True)
    return asyncio.run(
        visits.visits_benchmark(base_url=stack.url, token=token, ticket_ids=ids, agents=agents, concurrency=concurrency)
    )


def _scheduling(stack: RunningStack, *, visits: int, requests: int, leads: int, concurrency: int) -> dict[str, object]:
    tenant = "bench-scheduling"
    ids, token = _tickets(stack, tenant, count=visits, provider=ingest_pb2.PROVIDER_META)
    agents = _agents(stack, tenant, count=2)
    targets = stack.state()["targets"]
    service = _service_token(stack, tenant)
    asyncio.run(
        scheduling.prepare(
            ingest_target=targets["ingest"], visits_target=targets["visits"], service_token=service, agents=agents
        )
    )
    print(f"-- scheduling: slots of an agent with {visits} future visits, then {leads} leads tap one time", flush=True)
    slots = asyncio.run(
        scheduling.slots_benchmark(
            base_url=stack.url, token=token, agent=agents[0], ticket_ids=ids, requests=requests, concurrency=concurrency
        )
    )
    race = asyncio.run(
        scheduling.race_benchmark(
            base_url=stack.url,
            ingest_target=targets["ingest"],
            token=token,
            service_token=service,
            agent=agents[1],
            leads=leads,
        )
    )
    return {"slots": slots, "race": race}


def _delivery(stack: RunningStack, *, count: int, concurrency: int) -> dict[str, object]:
    # Manual-channel tickets: their replies always go to the sandbox provider.
    ids, token = _tickets(stack, "bench-delivery", count=count, provider=ingest_pb2.PROVIDER_MANUAL)
    print(f"-- delivery: {count} replies, {concurrency} callers", flush=True)
    return asyncio.run(
        delivery.delivery_benchmark(
            base_url=stack.url,
            database_url=stack.state()["database_url"],
            token=token,
            ticket_ids=ids,
            concurrency=concurrency,
        )
    )


def _generate(stack: RunningStack, tenant: str, *, tickets: int, per_ticket: int) -> float:
    stack.v360("tenant", "add", tenant)
    print(f"-- generating {tickets} tickets x {per_ticket} messages in tenant {tenant}", flush=True)
    seconds = dataset.generate(
        stack.state()["database_url"], tenant=tenant, tickets=tickets, messages_per_ticket=per_ticket
    )
    print(f"   generated in {seconds:.1f} s", flush=True)
    return seconds


def _console_user(stack: RunningStack, tenant: str) -> str:
    """An agent with a password in `tenant`, for the console's login form; returns the email."""
    email = f"bench-agent@{tenant}.dev"
    token = stack.v360("token", "--tenant", tenant, "--role", "service")

    async def upsert() -> None:
        async with grpc.aio.insecure_channel(stack.state()["targets"]["supervisor"]) as chan:
            await supervisor_pb2_grpc.SupervisorServiceStub(chan).UpsertUser(
                supervisor_pb2.UpsertUserRequest(
                    user=supervisor_pb2.User(
                        name="Bench Agent", email=email, role=supervisor_pb2.ROLE_AGENT, active=True
                    ),
                    password=BENCH_PASSWORD,
                ),
                metadata=(("authorization", f"Bearer {token}"),),
                timeout=10,
            )

    asyncio.run(upsert())
    return email


def _console(stack: RunningStack, *, args: argparse.Namespace, dataset_ready: bool) -> dict[str, object]:
    tenant = "bench-dashboard"
    if not dataset_ready:
        _generate(stack, tenant, tickets=args.tickets, per_ticket=args.messages_per_ticket)
    console_url = stack.state()["console_url"]
    email = _console_user(stack, tenant)
    print(f"-- console: inbox pages at {args.tickets} tickets, {args.requests} requests each", flush=True)
    inbox = console_bench.inbox_times(
        console_url=console_url, tenant=tenant, email=email, password=BENCH_PASSWORD, requests=args.requests
    )
    live_tenant = "bench-live"
    secret = secrets.token_hex(16)
    phone_number_id = str(800000000000000 + secrets.randbelow(10**12))
    stack.v360("tenant", "add", live_tenant, "--meta-phone-number-id", phone_number_id, "--meta-app-secret", secret)
    live_email = _console_user(stack, live_tenant)
    print(
        f"-- console live: {args.live_pages} pages on one console, webhooks at {args.live_rate:g}/s for "
        f"{args.live_seconds:g} s",
        flush=True,
    )
    live = console_bench.live_latency(
        console_url=console_url,
        gateway_url=stack.url,
        tenant=live_tenant,
        email=live_email,
        password=BENCH_PASSWORD,
        phone_number_id=phone_number_id,
        app_secret=secret,
        pages=args.live_pages,
        rate=args.live_rate,
        seconds=args.live_seconds,
        workdir=stack.data_dir,
    )
    return {"tickets": args.tickets, "messages": args.tickets * args.messages_per_ticket, "inbox": inbox, "live": live}


def _dashboard(stack: RunningStack, *, tickets: int, per_ticket: int, requests: int) -> dict[str, object]:
    tenant = "bench-dashboard"
    database_url = stack.state()["database_url"]
    seconds = _generate(stack, tenant, tickets=tickets, per_ticket=per_ticket)
    explained = dataset.plans(database_url, tenant=tenant)
    seq_scans = sorted(name for name, plan in explained.items() if "Seq Scan on messages" in plan)
    token = stack.v360("token", "--tenant", tenant, "--role", "admin")
    rows = dashboard.measure(base_url=stack.url, token=token, tenant=tenant, requests=requests)
    return {
        "tickets": tickets,
        "messages": tickets * per_ticket,
        "generate_seconds": round(seconds, 1),
        "reads": rows,
        "plans": explained,
        "seq_scans_of_messages": seq_scans,
    }
