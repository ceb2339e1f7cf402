"""The pgbench scripts generated from ingest's SQL files: every placeholder translated, and they run."""

from __future__ import annotations

import re

import psycopg
import pytest

from bench import ceiling
from libs.common.db import libpq_url
from services.ingest.repository import SQL

STATEMENTS = sorted({name for steps in ceiling.STEPS.values() for name, _ in steps})
_VARIABLE = re.compile(r"(?<!:):(\w+)")
_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _outside_literals(text: str) -> str:
    return _LITERAL.sub("''", text)


@pytest.mark.parametrize("name", STATEMENTS)
def test_every_placeholder_becomes_one_parameter_per_name(name: str) -> None:
    original = getattr(SQL, name)
    text, names = ceiling.pgbench_statement(original, nulls=ceiling.NULLS)

    assert "%(" not in text
    placeholders = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", original)))
    assert names == [name for name in placeholders if name not in ceiling.NULLS]
    # Each name once as a pgbench variable, in order, so pgbench numbers them $1..$n; repeats reuse that number.
    assert _VARIABLE.findall(_outside_literals(text)) == names
    for number in map(int, re.findall(r"\$(\d+)", _outside_literals(text))):
        assert 1 <= number <= len(names)
    assert not _VARIABLE.findall("".join(_LITERAL.findall(text)))


def test_repeats_nulls_and_percent_signs() -> None:
    text, names = ceiling.pgbench_statement(
        "SELECT %(a)s, %(b)s::text, %(a)s, %(gone)s, 'x' LIKE 'x%%', '[:alpha:]' -- a: comment\n"
        "FROM unnest(%(c)s::ingest.channel_type[], %(gone)s::jsonb[], %(a)s::uuid[])",
        nulls={"gone"},
    )

    assert names == ["a", "b", "c"]
    assert text == (
        "SELECT :a, :b::text, $1, NULL, 'x' LIKE 'x%', U&'[\\003Aalpha\\003A]' \n"
        "FROM unnest(ARRAY[:c::ingest.channel_type], ARRAY[NULL::jsonb], ARRAY[$1::uuid])"
    )


def test_a_colon_word_outside_literals_is_refused() -> None:
    with pytest.raises(ceiling.CeilingError):
        ceiling.pgbench_statement("SELECT x FROM t WHERE a = :oops")


@pytest.mark.parametrize("kind", ceiling.SCRIPTS)
def test_every_variable_of_the_script_has_a_value(kind: str) -> None:
    values = ceiling.message_values("bench-test")
    script = ceiling.build_script(kind, values=values, known_leads=10)

    defined = {define.split("=", 1)[0] for define in script.defines}
    prologue = script.text.splitlines()[1]
    set_by_prologue = set(re.findall(r" AS (\w+)", prologue))
    read = set(_VARIABLE.findall(_outside_literals(script.text)))
    assert read <= defined | set_by_prologue | ceiling.FROM_THREAD | {"n"}
    assert set_by_prologue >= ceiling.PER_TRANSACTION
    assert len(script.labels) == script.text.count(";") + script.text.count("\\gset")


@pytest.mark.integration
def test_unicode_literals_spell_the_same_strings(database_url: str) -> None:
    literals = {token for name in STATEMENTS for token in _LITERAL.findall(getattr(SQL, name)) if ":" in token}
    assert literals
    with psycopg.connect(libpq_url(database_url)) as conn:
        for token in literals:
            assert conn.execute(f"SELECT {ceiling._literal(token)} = {token}").fetchone() == (True,)


@pytest.mark.integration
@pytest.mark.parametrize("kind", ceiling.SCRIPTS)
def test_the_script_stores_a_message_per_transaction(database_url: str, kind: str) -> None:
    tenant = f"bench-{kind.replace('_', '-')}"
    ceiling.prepare(database_url, tenant=tenant, known_leads=20)
    script = ceiling.build_script(kind, values=ceiling.message_values(tenant), known_leads=20)

    report = ceiling.run_pgbench(database_url, script=script, clients=2, seconds=0, transactions=3)

    assert (report["transactions"], report["failed"]) == (6, 0)
    assert list(report["statement_ms"]) == script.labels  # type: ignore[call-overload]
    with psycopg.connect(libpq_url(database_url)) as conn:
        messages, events, unread = conn.execute(
            """
            SELECT (SELECT count(*) FROM ingest.messages WHERE tenant = %(t)s),
                (SELECT count(*) FROM ingest.events WHERE tenant = %(t)s AND type = 'message.received'),
                (SELECT sum(unread_count) FROM ingest.tickets WHERE tenant = %(t)s)
            """,
            {"t": tenant},
        ).fetchone()
    assert (messages, events, unread) == (6, 6, 6)
