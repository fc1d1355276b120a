"""What every benchmark shares."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # psutil and the assistant are imported where used: Rasa's environment
    import psutil  # (bench_nlu) has neither

    from assistant.settings import Settings

MB = 1024 * 1024


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile by nearest rank (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def role(process: psutil.Process) -> str:
    """Which part of the stack a process is, from its command line."""
    line = " ".join(process.cmdline())
    for needle, name in (
        ("rasa_servers rasa", "rasa"),
        ("rasa_servers actions", "action server"),
        ("catalog serve", "commerce service"),
        ("resource_tracker", "multiprocessing's resource tracker"),
        ("multiprocessing", "speech worker"),
    ):
        if needle in line:
            return name
    return "other"


class RssSampler:
    """Samples the resident memory of process ``pid`` (this one by default) and every process
    under it, every ``every_s`` seconds until stopped: each role's peak and the total's.
    ``names``: roles of given processes by pid (and of the processes under them); the root
    is left out of the figures when ``name`` is None (a benchmark's own process)."""

    def __init__(
        self,
        pid: int | None = None,
        name: str | None = "assistant",
        every_s: float = 0.2,
        names: dict[int, str] | None = None,
    ):
        import psutil

        self.root = psutil.Process(pid or os.getpid())
        self.name = name
        self.names = names or {}
        self.every_s = every_s
        self.peak: dict[str, float] = {}
        self.total_peak = 0.0
        self.series: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.perf_counter()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self.every_s):
            by_role: dict[str, float] = {}
            for process in [self.root, *self.root.children(recursive=True)]:
                try:
                    name = self._role(process)
                    if name is None:
                        continue
                    by_role[name] = by_role.get(name, 0.0) + process.memory_info().rss / MB
                except psutil.Error:
                    continue  # a process that ended in between
            for name, mb in by_role.items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)
            total = sum(by_role.values())
            self.total_peak = max(self.total_peak, total)
            self.series.append((time.perf_counter() - self._started, total))

    def _role(self, process: psutil.Process) -> str | None:
        if process.pid == self.root.pid:
            return self.name
        if process.pid in self.names:
            return self.names[process.pid]
        parent = process.ppid()
        if parent in self.names:  # a named process's workers
            return f"{self.names[parent]}'s {role(process)}"
        return role(process)


def seeded_settings(work: Path, customers: int) -> Settings:
    """Settings for a private stack in ``work``: a freshly migrated and seeded SQLite commerce
    database there, free ports, its own tracker store; the Rasa model trained if needed."""
    from assistant.services import isolated
    from assistant.settings import load_settings
    from assistant.training import train
    from commerce.db import Database
    from commerce.migrate import upgrade
    from commerce.seed import seeder

    url = f"sqlite:///{work / 'commerce.db'}"
    db = Database.connect(url)
    upgrade(db)
    seeder.seed(db, customers=customers)
    db.dispose()
    settings = isolated(load_settings(environ={}), work, url)
    train(settings)
    return settings


# one spelling for words written either way (joined or apart, US or UK), on both sides of a WER
_SPELLING_VARIANTS = {
    "pick up": "pickup", "check out": "checkout", "log in": "login", "sign in": "signin",
    "ok": "okay", "mom": "mum", "whole meal": "wholemeal", "favorite": "favourite",
    "color": "colour", "gray": "grey", "canceled": "cancelled",
}  # fmt: skip


def scoring_form(text: str) -> str:
    """``text`` as a word error rate compares it, the reference and the transcript alike:
    the assistant's normaliser (``audio.normalizer.spoken_form``: digits, units, times,
    punctuation, casing, British spellings), then one spelling for words written either way
    ("pick up" / "pickup"), as Whisper's own evaluations normalise both sides."""
    import re

    from audio.normalizer import spoken_form

    text = f" {spoken_form(text)} "
    for variant, form in _SPELLING_VARIANTS.items():
        text = re.sub(rf" {variant} ", f" {form} ", text)
        text = re.sub(rf" {variant} ", f" {form} ", text)  # overlapping matches
    return " ".join(text.split())


def scored_word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, reference words) between the two in ``scoring_form``."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = scoring_form(reference).split(), scoring_form(hypothesis).split()
    return int(Levenshtein.distance(ref, hyp)), len(ref)
