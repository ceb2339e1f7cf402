"""The gateway as its own process (`python -m gateway`, uvicorn and all) in front of a running stack."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.stack import Stack, free_port

START_SECONDS = 60.0


@dataclass
class GatewayProcess:
    """Where the process listens and what it logged."""

    url: str
    metrics_url: str
    port: int
    log_path: Path

    def log_lines(self) -> list[dict[str, Any]]:
        """Every JSON log line written so far."""
        lines = []
        for raw in self.log_path.read_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                lines.append({"msg": raw})
        return lines

    async def metric(self, name: str, **labels: str) -> float:
        """The sum of a series' samples whose labels include `labels`, read on the metrics port (0 when none)."""
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(self.metrics_url)).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith(f"{name}{{") and _labels_match(line, labels):
                total += float(line.rsplit(" ", 1)[1])
        return total


def _labels_match(line: str, labels: dict[str, str]) -> bool:
    inside = line[line.index("{") + 1 : line.rindex("}")]
    return all(f'{key}="{value}"' in inside for key, value in labels.items())


@asynccontextmanager
async def gateway_process(stack: Stack, **env: str) -> AsyncIterator[GatewayProcess]:
    """Starts `python -m gateway` on free ports with `env`, waits for /healthz, and stops it with SIGTERM."""
    port, metrics_port = free_port(), free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="v360-gateway-"))
    log_path = log_dir / "gateway.log"
    child_env = {
        **os.environ,
        "DATABASE_URL": stack.env["DATABASE_URL"],
        "REDIS_URL": stack.env["REDIS_URL"],
        "V360_AUTH_SECRET": stack.secret,
        "INGEST_TARGET": stack.targets["ingest"],
        "VISITS_TARGET": stack.targets["visits"],
        "SUPERVISOR_TARGET": stack.targets["supervisor"],
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "GATEWAY_METRICS_PORT": str(metrics_port),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "SHUTDOWN_GRACE_SECONDS": "1",
        "OTEL_SDK_DISABLED": "true",
        **env,
    }
    with log_path.open("w") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", env=child_env, stdout=log, stderr=asyncio.subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_healthy(process, url, log_path)
        yield GatewayProcess(
            url=url, metrics_url=f"http://127.0.0.1:{metrics_port}/metrics", port=port, log_path=log_path
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()


def _tail(path: Path) -> str:
    return path.read_text()[-3000:]


async def _wait_healthy(process: asyncio.subprocess.Process, url: str, log_path: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client, asyncio.timeout(START_SECONDS):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"gateway exited {process.returncode}: {_tail(log_path)}")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            # Polls the starting process; nothing to wait on but its socket.
            await asyncio.sleep(0.1)
