"""The database ceiling: ingest's transaction for one message, driven by pgbench straight at the same Postgres.

The pgbench scripts are generated at run time from `services/ingest/sql/*.sql`, the statements ingest
runs, so they can't drift from the code: psycopg's `%(name)s` placeholders become pgbench variables
(one server parameter per name, as psycopg binds them), `-M prepared` as the service's pool prepares.
Ingest writes batches (group commit); the ceiling is its transaction for a batch of one message, one
commit per message, so a ratio above 1 is what batching buys.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import NamedTuple

import psycopg

from devstack.embedded import postgres_bin_dir
from libs.common.db import libpq_url
from services.ingest.repository import SQL
from services.ingest.service import snippet

TENANT = "bench-ceiling"
# What the webhook benchmark sends: a Meta text message from a lead with a profile name.
TEXT = "Hola, consulta 0 sobre el departamento"
PROFILE_NAME = "Bench Lead"
KNOWN_LEADS = 2_000
SCRIPTS = ("new_lead", "known_lead")

_TOKEN = re.compile(r"'(?:[^']|'')*'|--[^\n]*|%\((\w+)\)s(?:::([\w.]+)\[\])?|%%|::|:(?=\w)|%", re.DOTALL)
_STATEMENT_LINE = re.compile(r"^\s+(-?[\d.]+)\s+(\d+)\s+(.*)$")


class CeilingError(Exception):
    """pgbench failed or a statement can't be translated."""


def pgbench_statement(statement: str, *, nulls: Collection[str] = ()) -> tuple[str, list[str]]:
    """A psycopg statement as pgbench SQL for a batch of one; returns it and the variable names it reads, in order.

    An array parameter `%(x)s::T[]` (one element per message of a batch) becomes `ARRAY[:x::T]`:
    pgbench can't build an array literal from a value it read back with \\gset.
    """
    names: list[str] = []
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(statement):
        out.append(statement[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token.startswith("'"):
            out.append(_literal(token))
        elif token.startswith("--"):
            continue
        elif match.group(1) is not None:
            name, element = match.group(1), match.group(2)
            if name in nulls:
                value = "NULL"
            elif name in names:
                # pgbench numbers every `:name` as a new parameter; psycopg sends one per name, and a
                # repeat left untyped (e.g. inside jsonb_build_object) would not even parse.
                value = f"${names.index(name) + 1}"
            else:
                names.append(name)
                value = f":{name}"
            out.append(f"ARRAY[{value}::{element}]" if element else value)
        elif token == "%%":
            out.append("%")
        elif token == "::":
            out.append(token)
        else:
            raise CeilingError(f"cannot translate {token!r} at offset {match.start()} of: {statement[:80]}")
    out.append(statement[position:])
    return "".join(out), names


def _literal(token: str) -> str:
    body = token[1:-1]
    if "%(" in body:
        raise CeilingError(f"placeholder inside a string literal: {token}")
    body = body.replace("%%", "%")
    if ":" not in body:
        return f"'{body}'"
    # pgbench takes every `:word` for a variable, also in literals; a Unicode-escape literal spells the
    # same string without the colon (its escape character is the backslash, so those double).
    return "U&'" + body.replace("\\", "\\\\").replace(":", "\\003A") + "'"


def message_values(tenant: str) -> dict[str, str]:
    """The constant parameters of one webhook text message, as ingest binds them."""
    return {
        "position": "0",
        "tenant": tenant,
        "channel": "meta",
        "provider": "meta",
        "name": PROFILE_NAME,
        "type": "text",
        "text": TEXT,
        "snippet": snippet(TEXT),
        "payload": json.dumps({"body": TEXT}),
        "asset_code": "",
        "context_message_id": "",
        "username": "",
    }


# Parameters ingest binds as None for this message: no media, no project or asset matched, no ad, no BSUID.
NULLS = frozenset({"media", "project_id", "asset_id", "referral", "ad_id", "user_id"})
# Set per transaction by the prologue, or by \gset from the statement before.
PER_TRANSACTION = frozenset({"identity", "phone_e164", "wa_id", "provider_message_id", "sent_at"})
FROM_THREAD = frozenset(
    {"lead_id", "conversation_id", "ticket_id", "lead_name", "wa_id", "user_id", "username", "has_referral"}
)
# The statements of `Repository.store_inbound` for one message (its profile name is the lead's already),
# and whether the row they return is kept (\gset) for the statements after.
STEPS = {
    "new_lead": (
        ("find_threads", False),
        ("match_marketing_asset", False),
        ("create_thread", True),
        ("lock_tickets", False),
        ("insert_inbound_messages", False),
    ),
    "known_lead": (("find_threads", True), ("lock_tickets", False), ("insert_inbound_messages", False)),
}


class Script(NamedTuple):
    text: str
    # pgbench --define options: the constant parameters.
    defines: list[str]
    # A name for each SQL command of `text`, in order, for the per-statement latencies.
    labels: list[str]


def build_script(kind: str, *, values: Mapping[str, str], known_leads: int = KNOWN_LEADS) -> Script:
    """One pgbench transaction of ingest for a new lead or for a known one, as `Repository.store_inbound` runs it."""
    if kind not in SCRIPTS:
        raise ValueError(f"unknown script {kind!r}")
    steps = STEPS[kind]
    used: list[str] = []
    body: list[str] = []
    for statement, gset in steps:
        text, names = pgbench_statement(getattr(SQL, statement), nulls=NULLS)
        used += [name for name in names if name not in used]
        body.append(text + (" \\gset" if gset else ";"))
    unknown = set(used) - set(values) - PER_TRANSACTION - FROM_THREAD
    if unknown:
        raise CeilingError(f"no value for {sorted(unknown)}")

    # pgbench can't pass an empty string with -D, nor build one with \set: the prologue selects those.
    empty = [name for name in used if values.get(name) == ""]
    defines = [f"{name}={values[name]}" for name in used if values.get(name)]
    if kind == "new_lead":
        draw, phone = "\\set n random(1, 999999999)", "'+54911' || lpad(:n::text, 9, '0')"
    else:
        draw, phone = f"\\set n random(1, {known_leads})", "'+54922' || lpad(:n::text, 9, '0')"
    columns = [
        f"{phone} AS phone_e164",
        f"{phone} AS identity",
        f"ltrim({phone}, '+') AS wa_id",
        "'pgbench.' || gen_random_uuid() AS provider_message_id",
        "now() AS sent_at",
        *(f"'' AS {name}" for name in empty),
    ]
    lines = [draw, "SELECT " + ", ".join(columns) + " \\gset", "BEGIN;", *body, "COMMIT;"]
    labels = ["prologue (values)", "BEGIN", *(statement for statement, _ in steps), "COMMIT"]
    return Script(text="\n".join(lines) + "\n", defines=defines, labels=labels)


def prepare(database_url: str, *, tenant: str = TENANT, known_leads: int = KNOWN_LEADS) -> None:
    """Creates the bench tenant and its known leads (lead, conversation, ticket each), as ingest would."""
    tenant_params = {
        "slug": tenant,
        "name": tenant,
        "region": "AR",
        "timezone": "America/Argentina/Buenos_Aires",
        "meta_phone_number_id": None,
        "meta_app_secret": None,
        "meta_verify_token": None,
        "gupshup_app": None,
        "gupshup_token": None,
    }
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(SQL.upsert_tenant, tenant_params)
        with conn.cursor() as cur:
            cur.executemany(
                SQL.create_thread,
                [
                    {
                        "tenant": tenant,
                        "identity": "+54922" + str(i).zfill(9),
                        "phone_e164": "+54922" + str(i).zfill(9),
                        "wa_id": "54922" + str(i).zfill(9),
                        "user_id": None,
                        "username": "",
                        "channel": "meta",
                        "name": PROFILE_NAME,
                        "project_id": None,
                        "asset_id": None,
                        "referral": None,
                    }
                    for i in range(1, known_leads + 1)
                ],
            )


def parse_pgbench(output: str) -> dict[str, object]:
    """tps, transactions, failures, average latency and per-statement latencies of one pgbench report."""

    def number(pattern: str) -> float:
        found = re.search(pattern, output, re.MULTILINE)
        if found is None:
            raise CeilingError(f"no {pattern!r} in pgbench output:\n{output[-2000:]}")
        return float(found.group(1))

    statements = []
    for line in output.split("statement latencies", 1)[-1].splitlines()[1:]:
        found = _STATEMENT_LINE.match(line)
        if found and not found.group(3).startswith("\\"):
            statements.append(float(found.group(1)))
    return {
        "transactions": int(number(r"^number of transactions actually processed: (\d+)")),
        "failed": int(number(r"^number of failed transactions: (\d+)")),
        "latency_ms": round(number(r"^latency average = ([\d.]+) ms"), 3),
        "tps": round(number(r"^tps = ([\d.]+)"), 1),
        "statement_ms": statements,
    }


def run_pgbench(
    database_url: str, *, script: Script, clients: int, seconds: float, transactions: int = 0
) -> dict[str, object]:
    """Runs `script` with `clients` connections for `seconds` (or `transactions` each); the parsed report."""
    threads = min(clients, 2)
    with tempfile.TemporaryDirectory(prefix="v360-pgbench-") as folder:
        path = Path(folder) / "ingest.sql"
        path.write_text(script.text)
        argv = [
            str(postgres_bin_dir() / "pgbench"),
            "--no-vacuum",
            "--protocol=prepared",
            "--report-per-command",
            f"--client={clients}",
            f"--jobs={threads}",
            *([f"--transactions={transactions}"] if transactions else [f"--time={max(1, round(seconds))}"]),
            *(f"--define={define}" for define in script.defines),
            f"--file={path}",
            libpq_url(database_url),
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise CeilingError(f"pgbench exited {done.returncode}:\n{done.stderr[-3000:]}")
    report = parse_pgbench(done.stdout)
    report["statement_ms"] = dict(zip(script.labels, report["statement_ms"], strict=True))  # type: ignore[call-overload]
    return {"clients": clients, "threads": threads, **report}


def measure(
    database_url: str, *, clients: list[int], seconds: float, tenant: str = TENANT, known_leads: int = KNOWN_LEADS
) -> dict[str, object]:
    """Every script at every client count; `ceiling` is the best new-lead tps (the webhook benchmark's case)."""
    prepare(database_url, tenant=tenant, known_leads=known_leads)
    values = message_values(tenant)
    result: dict[str, object] = {"tenant": tenant, "seconds": seconds}
    for kind in SCRIPTS:
        script = build_script(kind, values=values, known_leads=known_leads)
        result[kind] = [
            {"script": kind, **run_pgbench(database_url, script=script, clients=n, seconds=seconds)} for n in clients
        ]
        result[f"{kind}_script"] = script.text
    result["ceiling"] = max(float(row["tps"]) for row in result["new_lead"])  # type: ignore[attr-defined]
    result["ceiling_known_lead"] = max(float(row["tps"]) for row in result["known_lead"])  # type: ignore[attr-defined]
    return result


def ratio(messages_per_second: float, ceiling: float | None) -> float | None:
    """Our throughput as a fraction of the database ceiling (None without a ceiling)."""
    if not ceiling:
        return None
    return round(messages_per_second / ceiling, 3)
