"""Finding free local TCP ports for the stack's processes."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable
from pathlib import Path

LOWEST_PORT = 20000
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL = (32768, 60999)


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports."""
    try:
        low, high = (int(part) for part in _EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return _DEFAULT_EPHEMERAL
    return low, high


def port_candidates(ephemeral: tuple[int, int], *, rng: random.Random) -> list[int]:
    """Ports from LOWEST_PORT up, outside `ephemeral`, shuffled.

    A service binds its port seconds after we pick it (migrations run first); a port the kernel may
    hand to an outgoing connection meanwhile could be taken, so those are never picked.
    """
    low, high = ephemeral
    ports = [port for port in range(LOWEST_PORT, 65536) if not low <= port <= high]
    rng.shuffle(ports)
    return ports


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on `host:port` (bound the way uvicorn binds, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(
    count: int,
    *,
    host: str = "127.0.0.1",
    exclude: frozenset[int] = frozenset(),
    candidates: Iterable[int] | None = None,
) -> list[int]:
    """`count` distinct ports free right now, none in `exclude`, drawn from `candidates` (default: port_candidates)."""
    pool = candidates if candidates is not None else port_candidates(ephemeral_range(), rng=random.Random())
    ports: list[int] = []
    for port in pool:
        if len(ports) == count:
            break
        if port not in exclude and port not in ports and port_is_free(host, port):
            ports.append(port)
    if len(ports) < count:
        raise OSError(f"found only {len(ports)} of {count} free ports on {host}")
    return ports
