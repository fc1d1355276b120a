"""A fixed, ticking clock that the test process and the servers it starts share.

The clock reads ``start`` at the instant ``set_at`` of ``time.monotonic()`` (the machine's
monotonic clock: on Linux one clock for every process, and never moved by ``time_machine``) and
ticks on from there, so every process that takes it over reads the same time however late it
starts. A test stack hands it to its servers in the environment (``environment()``): this
folder first on their PYTHONPATH makes Python import ``sitecustomize.py`` at interpreter start,
which travels the whole process to it (``time_machine``). Nothing in the production code knows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import time_machine

START_ENV = "TEST_CLOCK_START"  # the instant, ISO 8601 with its UTC offset
SET_AT_ENV = "TEST_CLOCK_MONOTONIC"  # time.monotonic() when the clock read it (default: start)
FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class FixedClock:
    start: datetime
    set_at: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.set_at)

    def travel(self) -> time_machine.travel:
        """This process on the clock from now on (``with clock.travel():``), ticking."""
        return time_machine.travel(self.now(), tick=True)

    def environment(self) -> dict[str, str]:
        """What a child process needs in its environment to run on this clock."""
        return {
            START_ENV: self.start.isoformat(),
            SET_AT_ENV: repr(self.set_at),
            "PYTHONPATH": str(FOLDER),
        }

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> FixedClock | None:
        """The clock ``environ`` hands over; None when it hands none."""
        start = environ.get(START_ENV)
        if not start:
            return None
        set_at = environ.get(SET_AT_ENV)
        instant = datetime.fromisoformat(start)
        return cls(instant, float(set_at)) if set_at else cls(instant)
