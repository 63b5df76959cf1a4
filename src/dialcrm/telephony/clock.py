"""The clock the engine, the simulated gateway and the simulated agents share.

In production it is the wall clock. In the demo, benchmarks and tests it may run faster (a
speed-up of 100 makes an 8-hour shift last under 5 minutes): every duration the parts wait for
is divided by the speed-up, and `now()` advances that much faster, so their decisions stay what
they would be in real time.
"""

from __future__ import annotations

import asyncio
import time


class Clock:
    """Epoch seconds, optionally accelerated from the moment it was made."""

    def __init__(self, speedup: float = 1.0, start_s: float | None = None) -> None:
        if speedup <= 0:
            raise ValueError(f"speedup must be positive (got {speedup})")
        self.speedup = speedup
        self._origin_s = time.time() if start_s is None else start_s
        self._origin_monotonic = time.monotonic()

    def now(self) -> float:
        elapsed = time.monotonic() - self._origin_monotonic
        return self._origin_s + elapsed * self.speedup

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speedup)

    def real_seconds(self, seconds: float) -> float:
        """How long `seconds` of clock time last on the wall clock."""
        return seconds / self.speedup
