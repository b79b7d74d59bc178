"""Failures per client address (wrong tokens, wrong logins) within a sliding window, in bounded memory."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_CLIENTS = 4096  # addresses remembered by a throttle; the oldest is forgotten first
Clock = Callable[[], float]


class Throttle:
    """Failures per client address within a sliding window, in bounded memory (the oldest address goes first)."""

    def __init__(
        self,
        failures: int,
        window_s: float,
        max_clients: int = MAX_CLIENTS,
        clock: Clock = time.monotonic,
    ) -> None:
        self.failures = failures
        self.window_s = window_s
        self.max_clients = max_clients
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, client: str) -> deque[float] | None:
        times = self._seen.get(client)
        if times is None:
            return None
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._seen[client]
            return None
        return times

    def retry_after(self, client: str) -> int:
        """Seconds until `client` may try again; 0 when it may now."""
        times = self._recent(client)
        if times is None or len(times) < self.failures:
            return 0
        return max(1, math.ceil(times[0] + self.window_s - self.clock()))

    def fail(self, client: str) -> None:
        times = self._recent(client) or deque(maxlen=self.failures)
        times.append(self.clock())
        self._seen[client] = times
        self._seen.move_to_end(client)
        while len(self._seen) > self.max_clients:
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)
