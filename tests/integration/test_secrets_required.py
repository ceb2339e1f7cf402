"""No serving process starts with a token secret anyone can read (outside an explicit dev mode)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping

import httpx
import pytest

from libs.common.settings import DEV_AUTH_SECRET
from tests.support.gateway_process import gateway_process
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

# A bound for the test to fail on: a process that refuses exits at once, one that doesn't keeps serving.
GIVE_UP_SECONDS = 30


async def exit_of(argv: list[str], env: Mapping[str, str]) -> tuple[int | None, str]:
    """The exit code of `argv` (None if still running after GIVE_UP_SECONDS, then stopped) and its output."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=dict(env), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=GIVE_UP_SECONDS)
        return process.returncode, output.decode()
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
        return None, output.decode()


def environment(stack: Stack, **env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in {"V360_AUTH_SECRET", "V360_DEV_MODE"}}
    return {
        **base,
        "DATABASE_URL": stack.env["DATABASE_URL"],
        "REDIS_URL": stack.env["REDIS_URL"],
        "GATEWAY_PORT": "1",
        "INGEST_GRPC_LISTEN": "127.0.0.1:1",
        "OTEL_SDK_DISABLED": "true",
        **env,
    }


@pytest.mark.parametrize("secret", [None, DEV_AUTH_SECRET], ids=["no secret", "the public dev secret"])
@pytest.mark.parametrize("argv", [["gateway"], ["services.ingest", "serve"]], ids=["gateway", "ingest"])
async def test_a_serving_process_refuses_to_start_without_a_real_secret(
    stack: Stack, argv: list[str], secret: str | None
) -> None:
    env = environment(stack, **({"V360_AUTH_SECRET": secret} if secret else {}))
    code, output = await exit_of([sys.executable, "-m", *argv], env)
    assert code == 2, output[-2000:]
    assert "V360_AUTH_SECRET" in output
    assert DEV_AUTH_SECRET not in output


async def test_migrations_need_no_token_secret(stack: Stack) -> None:
    code, output = await exit_of([sys.executable, "-m", "services.visits", "migrate"], environment(stack))
    assert code == 0, output[-2000:]


async def test_dev_mode_runs_on_the_public_secret(stack: Stack) -> None:
    # Explicitly asked for, the gateway starts without V360_AUTH_SECRET (gateway_process waits for /healthz).
    async with (
        gateway_process(stack, V360_AUTH_SECRET="", V360_DEV_MODE="true") as gateway,
        httpx.AsyncClient(base_url=gateway.url, timeout=GIVE_UP_SECONDS) as client,
    ):
        assert (await client.get("/healthz")).status_code == 200
