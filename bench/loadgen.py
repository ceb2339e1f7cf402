"""An open-loop HTTP load generator: sends prepared requests on a fixed schedule from its own process.

Each request has a scheduled start time (offered load = requests per second); latency is measured
from that time, not from when a connection became free, so a slow server cannot hide queueing
(no coordinated omission). The generator runs in a separate process on uvloop over raw keep-alive
sockets, which costs a few tens of microseconds per request, so it is not what limits a step.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvloop

MAX_RESPONSE_HEAD = 64 * 1024


@dataclass
class LoadResult:
    """What one step measured: latencies of the 2xx answers, everything else counted as an error."""

    offered_per_second: float
    scheduled: int
    completed: int
    errors: int
    error_samples: list[str]
    latencies_ms: list[float]
    seconds: float
    generator_cpu_seconds: float


def request_bytes(url: str, *, body: bytes, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 POST with keep-alive, ready to write to a socket."""
    parts = urlsplit(url)
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False

    async def exchange(self, request: bytes) -> int:
        self.used = True
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_RESPONSE_HEAD:
            raise ValueError("response head too large")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def _run(url: str, requests: list[bytes], rate: float, max_connections: int, patience: float) -> LoadResult:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: list[_Connection] = []
    open_count = 0
    freed = asyncio.Condition()
    latencies: list[float] = []
    errors: list[str] = []
    pending: set[asyncio.Task[None]] = set()

    async def connection(*, fresh: bool = False) -> _Connection:
        nonlocal open_count
        async with freed:
            while idle and idle[-1].reader.at_eof():
                # The server closes keep-alive connections left idle (uvicorn: after 5 s).
                idle.pop().close()
                open_count -= 1
            while not fresh and not idle and open_count >= max_connections:
                await freed.wait()
            if idle and not fresh:
                return idle.pop()
            while open_count >= max_connections:
                if idle:
                    idle.pop(0).close()
                    open_count -= 1
                else:
                    await freed.wait()
            open_count += 1
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            async with freed:
                open_count -= 1
                freed.notify()
            raise
        return _Connection(reader, writer)

    async def release(conn: _Connection | None) -> None:
        nonlocal open_count
        async with freed:
            if conn is None:
                open_count -= 1
            else:
                idle.append(conn)
            freed.notify()

    async def one(request: bytes, scheduled: float) -> None:
        for attempt in range(2):
            conn: _Connection | None = None
            reused = False
            try:
                conn = await connection(fresh=attempt > 0)
                reused = conn.used
                status = await asyncio.wait_for(conn.exchange(request), patience)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError) as exc:
                if conn is not None:
                    conn.close()
                await release(None)
                # A keep-alive connection the server closed while idle fails before any answer: any
                # HTTP client sends again on a new one, and so does this, once.
                if attempt == 0 and reused and isinstance(exc, asyncio.IncompleteReadError) and not exc.partial:
                    continue
                errors.append(type(exc).__name__)
                return
            await release(conn)
            if 200 <= status < 300:
                latencies.append((time.perf_counter() - scheduled) * 1000)
            else:
                errors.append(f"HTTP {status}")
            return

    cpu_start = time.process_time()
    start = time.perf_counter() + 0.05
    interval = 1.0 / rate
    for index, request in enumerate(requests):
        scheduled = start + index * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(request, scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.close()
    return LoadResult(
        offered_per_second=rate,
        scheduled=len(requests),
        completed=len(latencies),
        errors=len(errors),
        error_samples=sorted(set(errors))[:5],
        latencies_ms=latencies,
        seconds=elapsed,
        generator_cpu_seconds=time.process_time() - cpu_start,
    )


def _child(url: str, requests: list[bytes], rate: float, max_connections: int, timeout: float, out) -> None:
    out.send(uvloop.run(_run(url, requests, rate, max_connections, timeout)))
    out.close()


def offer(
    url: str, requests: list[bytes], *, rate: float, max_connections: int = 256, timeout: float = 30.0
) -> LoadResult:
    """Sends `requests` to `url` at `rate` per second from a separate process and returns what it measured."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(url, requests, rate, max_connections, timeout, send), daemon=True)
    process.start()
    send.close()
    try:
        result: LoadResult = receive.recv()
    finally:
        process.join(timeout=10)
        # Interrupted (Ctrl-C, SIGTERM) before its answer: the generator must not go on loading the stack.
        if process.is_alive():
            process.terminate()
            process.join(timeout=10)
    return result
