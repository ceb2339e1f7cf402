"""Child processes of `v360 up`: started in their own process group, output prefixed and forwarded, stopped in order."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TextIO

_PR_SET_PDEATHSIG = 1
_LINE_LIMIT = 1024 * 1024
NAME_WIDTH = 10


@dataclass(frozen=True, slots=True)
class OsAccount:
    """An unprivileged OS account to run a child as (only possible when we are root)."""

    name: str
    uid: int
    gid: int


@dataclass(eq=False)
class Child:
    """One started process, its last output lines and how to stop it."""

    name: str
    process: asyncio.subprocess.Process
    stop_signal: signal.Signals
    signal_group: bool
    tail: deque[str]
    # A one-shot child (migrations) is expected to exit; a server exiting on its own is a failure.
    oneshot: bool = False
    stopping: bool = False
    watcher: asyncio.Task[None] | None = field(default=None, repr=False)
    # How it was started, so it can be started again the same way (ProcessGroup.restart).
    argv: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    forward: bool = True
    account: OsAccount | None = None

    @property
    def pid(self) -> int:
        """The OS process id (also its process group id)."""
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """The exit status, None while running; negative for a signal."""
        return self.process.returncode

    def last_lines(self) -> str:
        """The child's last output lines, for error reports."""
        return "\n".join(self.tail) or "(no output)"


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment for a child: ours (PATH, HOME, OTEL_*, ...) passed through, plus `overrides`."""
    # Unbuffered so each log line reaches our terminal when written, not when a buffer fills.
    return {**os.environ, "PYTHONUNBUFFERED": "1", **overrides}


def _parent_death_signal(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec hook that makes the kernel signal the child if `v360` itself dies without cleaning up."""
    if not sys.platform.startswith("linux"):
        return None
    # The running program's own symbols include libc's prctl.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    # Resolved here, in the parent: after fork the child only makes the call.
    def _request() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)

    return _request


class ProcessGroup:
    """Starts, watches and stops the stack's child processes; `failed` resolves when a server exits on its own."""

    def __init__(self, *, out: TextIO | None = None, tail_lines: int = 40) -> None:
        self._out = out or sys.stdout
        self._tail_lines = tail_lines
        self.children: list[Child] = []
        self.failed: asyncio.Future[Child] = asyncio.get_running_loop().create_future()

    async def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        forward: bool = True,
        oneshot: bool = False,
        stop_signal: signal.Signals = signal.SIGTERM,
        signal_group: bool = True,
        account: OsAccount | None = None,
    ) -> Child:
        """Starts `argv` in a new session; its stdout+stderr go to our stdout prefixed by `name` if `forward`."""
        kwargs: dict[str, object] = {}
        if account is not None:
            kwargs.update(user=account.uid, group=account.gid, extra_groups=[])
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Own session: a terminal Ctrl-C reaches only `v360`, which then stops children in order.
            start_new_session=True,
            preexec_fn=_parent_death_signal(stop_signal),
            limit=_LINE_LIMIT,
            **kwargs,
        )
        child = Child(
            name=name,
            process=process,
            stop_signal=stop_signal,
            signal_group=signal_group,
            tail=deque(maxlen=self._tail_lines),
            oneshot=oneshot,
            argv=tuple(argv),
            env=dict(env),
            forward=forward,
            account=account,
        )
        child.watcher = asyncio.create_task(self._watch(child, forward=forward), name=f"watch-{name}")
        self.children.append(child)
        return child

    async def restart(self, child: Child) -> Child:
        """Starts a stopped or killed `child` again with the same command, environment and account, in its place."""
        if not child.stopping:
            raise RuntimeError(f"{child.name} (pid {child.pid}) was not stopped or killed")
        await self.wait(child)
        fresh = await self.start(
            child.name,
            child.argv,
            env=child.env,
            forward=child.forward,
            oneshot=child.oneshot,
            stop_signal=child.stop_signal,
            signal_group=child.signal_group,
            account=child.account,
        )
        self.children.remove(fresh)
        self.children[self.children.index(child)] = fresh
        return fresh

    async def run(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], within: float) -> Child:
        """Runs a one-shot command to completion (killed after `within` seconds), keeping its output."""
        child = await self.start(name, argv, env=env, forward=False, oneshot=True)
        try:
            await asyncio.wait_for(asyncio.shield(self.wait(child)), within)
        except TimeoutError:
            child.tail.append(f"(still running after {within:.0f}s; killed)")
            await self.stop(child, grace=1.0)
        self.children.remove(child)
        return child

    async def wait(self, child: Child) -> int:
        """Waits until `child` has exited and its output is drained; returns its exit status."""
        assert child.watcher is not None
        await asyncio.shield(child.watcher)
        return child.process.returncode if child.process.returncode is not None else -1

    async def stop(self, child: Child, *, grace: float) -> None:
        """Asks `child` to stop with its stop signal, then kills its process group after `grace` seconds."""
        child.stopping = True
        if child.returncode is None:
            self._signal(child, child.stop_signal, group=child.signal_group)
            try:
                await asyncio.wait_for(asyncio.shield(self.wait(child)), grace)
            except TimeoutError:
                self._write(child.name, f"did not stop within {grace:.0f}s; killing it")
                self._signal(child, signal.SIGKILL, group=True)
        await self.wait(child)
        # Sweep helpers the child may have left in its group (worker processes, postgres backends).
        self._signal(child, signal.SIGKILL, group=True)

    def kill(self, child: Child) -> None:
        """Kills `child`'s whole process group now, without a grace period."""
        child.stopping = True
        self._signal(child, signal.SIGKILL, group=True)

    async def stop_all(self, order: Sequence[Sequence[str]], *, grace: float) -> None:
        """Stops children group by group in `order` (names), the members of a group together; then any others."""
        remaining = list(self.children)
        for names in [*order, [child.name for child in remaining]]:
            batch = [child for child in remaining if child.name in names]
            remaining = [child for child in remaining if child not in batch]
            await asyncio.gather(*(self.stop(child, grace=grace) for child in batch))

    def _signal(self, child: Child, sig: signal.Signals, *, group: bool) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if group:
                os.killpg(child.pid, sig)
            elif child.returncode is None:
                child.process.send_signal(sig)

    async def _watch(self, child: Child, *, forward: bool) -> None:
        stream = child.process.stdout
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except ValueError:
                # A line longer than the limit: take what is buffered and go on.
                raw = await stream.read(_LINE_LIMIT)
            if not raw:
                break
            line = raw.decode(errors="replace").rstrip("\r\n")
            child.tail.append(line)
            if forward:
                self._write(child.name, line)
        await child.process.wait()
        if not child.stopping and not child.oneshot and not self.failed.done():
            self.failed.set_result(child)

    def _write(self, name: str, line: str) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._out.write(f"{name:<{NAME_WIDTH}} | {line}\n")
            self._out.flush()
