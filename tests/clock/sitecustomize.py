"""Imported by Python at interpreter start when this folder is on PYTHONPATH (the end-to-end test
fixtures put it there for the servers they start): with ``TEST_CLOCK_START`` set, the whole
process runs on that fixed, ticking clock (``fixed_clock.py``); without it, nothing happens."""

import os

if os.environ.get("TEST_CLOCK_START"):
    from fixed_clock import FixedClock

    _clock = FixedClock.from_environment(os.environ)
    if _clock is not None:
        _clock.travel().start()
