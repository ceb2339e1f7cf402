"""Tests of child supervision with tiny real Python children (no servers)."""

from __future__ import annotations

import asyncio
import io
import sys

import pytest

from devstack.processes import ProcessGroup, child_env

IGNORES_SIGTERM = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
)


async def test_output_is_prefixed_and_exit_is_reported_as_failure() -> None:
    out = io.StringIO()
    group = ProcessGroup(out=out)
    argv = [sys.executable, "-c", "print('hello'); raise SystemExit(3)"]
    child = await group.start("worker", argv, env=child_env({}))
    failed = await asyncio.wait_for(group.failed, 10)
    assert failed is child
    assert child.returncode == 3
    assert "worker     | hello" in out.getvalue()
    assert child.last_lines() == "hello"


async def test_one_shot_keeps_output_and_is_no_failure() -> None:
    out = io.StringIO()
    group = ProcessGroup(out=out)
    child = await group.run("job", [sys.executable, "-c", "print('done')"], env=child_env({}), within=60)
    assert (child.returncode, child.last_lines(), out.getvalue()) == (0, "done", "")
    assert not group.failed.done()
    assert group.children == []


async def test_stop_kills_a_child_that_ignores_sigterm() -> None:
    group = ProcessGroup(out=io.StringIO())
    child = await group.start("stubborn", [sys.executable, "-c", IGNORES_SIGTERM], env=child_env({}))
    # Its first line means the SIGTERM handler is in place; the group exposes no event for output.
    async with asyncio.timeout(10):
        while not child.tail:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await group.stop_all([["stubborn"]], grace=0.5)
    assert child.returncode == -9
    assert not group.failed.done()


async def test_a_killed_child_restarts_with_the_same_command_in_its_place() -> None:
    out = io.StringIO()
    group = ProcessGroup(out=out)
    argv = [sys.executable, "-c", "import os, time; print(os.environ['WHO'], flush=True); time.sleep(60)"]
    first = await group.start("again", argv, env=child_env({"WHO": "me"}))
    other = await group.start("other", [sys.executable, "-c", "import time; time.sleep(60)"], env=child_env({}))
    group.kill(first)
    second = await group.restart(first)
    async with asyncio.timeout(10):
        while not second.tail:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert first.returncode == -9
    assert second.pid != first.pid and second.returncode is None
    assert group.children == [second, other]
    assert second.last_lines() == "me"
    assert not group.failed.done()
    await group.stop_all([], grace=1.0)


async def test_restart_refuses_a_child_that_was_not_stopped() -> None:
    group = ProcessGroup(out=io.StringIO())
    child = await group.start("running", [sys.executable, "-c", "import time; time.sleep(60)"], env=child_env({}))
    try:
        with pytest.raises(RuntimeError, match="was not stopped"):
            await group.restart(child)
    finally:
        await group.stop_all([], grace=1.0)
