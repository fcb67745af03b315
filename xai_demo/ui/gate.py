"""A bounded bench for live training: a fixed number of slots, entered without waiting, and an estimate of
when the next one frees up (so that a student beyond capacity reads "busy, try again in N s" at once instead
of waiting in a queue until the page times out)."""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Iterator

SLOTS_ENV = "XAI_DEMO_TRAIN_SLOTS"  # trainings at once per server (default 1: one core of two)


def default_slots() -> int:
    """``$XAI_DEMO_TRAIN_SLOTS`` (at least 1), else 1."""
    try:
        return max(1, int(os.environ.get(SLOTS_ENV) or 1))
    except ValueError:
        return 1


class TrainingGate:
    """``slots`` trainings at once. :meth:`enter` either takes a slot or says how long until one frees.

    The estimate is the typical duration (an exponential average of the finished trainings, ``typical``
    seconds before the first) minus how long the soonest-finishing training has run, at least ``floor`` s.
    """

    def __init__(self, slots: int | None = None, typical: float = 30.0, floor: float = 5.0) -> None:
        self.slots = slots or default_slots()
        self.typical = typical
        self.floor = floor
        self._started: dict[int, float] = {}  # ticket -> monotonic start
        self._next = 0
        self._lock = threading.Lock()
        self._free = threading.Semaphore(self.slots)

    @property
    def busy(self) -> int:
        """Slots in use."""
        with self._lock:
            return len(self._started)

    def wait_estimate(self) -> int:
        """Seconds until a slot is likely free (0 when one is free now), rounded up to 5 s."""
        with self._lock:
            if len(self._started) < self.slots:
                return 0
            elapsed = max(time.monotonic() - t for t in self._started.values())
            left = max(self.floor, self.typical - elapsed)
        return int(math.ceil(left / 5.0) * 5)

    @contextlib.contextmanager
    def enter(self, block: bool = True) -> Iterator[bool]:
        """Yield True holding a slot, or False at once when ``block`` is False and every slot is taken."""
        if not self._free.acquire(blocking=block):
            yield False
            return
        with self._lock:
            ticket, self._next = self._next, self._next + 1
            self._started[ticket] = time.monotonic()
        try:
            yield True
        finally:
            with self._lock:
                seconds = time.monotonic() - self._started.pop(ticket)
                self.typical = 0.7 * self.typical + 0.3 * seconds
            self._free.release()


__all__ = ["SLOTS_ENV", "TrainingGate", "default_slots"]
