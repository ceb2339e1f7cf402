"""The one retry delay policy: exponential, capped, with jitter, honouring a server's Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays before retries: attempt n waits between half and all of `min(cap, base * 2**(n-1))`.

    Half-jitter keeps replicas from retrying in step while still growing the wait; a `retry_after` the
    other side asked for is honoured up to the cap.
    """

    base: float
    cap: float

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap:
            raise ValueError("backoff needs 0 < base <= cap")

    def delay(
        self, attempt: int, *, retry_after: float | None = None, rand: Callable[[], float] = random.random
    ) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 for the first)."""
        ceiling = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        delay = ceiling / 2 + rand() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap))
        return delay
