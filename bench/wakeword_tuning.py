"""Choosing the wake word's listeners from recorded scores (``bench/bench_wakeword.py``).

The benchmark records okay_nabu's raw score (one per 30 ms, no averaging) for every wake
utterance and every stream of other speech, once per front end (the audio as heard, after
WebRTC's automatic gain, after its noise suppression and gain). A *listener* is a front end,
how many scores it averages and its threshold; a device may run several on the same stream
(a wake when any wakes). Here every listener and pair of listeners is tried on the
development half of the wake utterances, with the false wakes of all the other speech; the
best one within the false-wake budget is then reported on the held-out half and on the whole.

Halves: by text, so no held-out sentence was seen while choosing. The wake phrase alone
(``wake_alone`` in data/wakeword.yml) and the commands (``commands``, said after a pause and
run on) at even positions of their lists are the development half, odd positions the
held-out half; every voice and condition is in both.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import numpy as np

Listener = tuple[str, int, float]  # front end, scores averaged, threshold
FRONT_ENDS = {"plain": (0, 0), "gain": (20, 0), "denoised": (20, 3)}  # (gain dBFS, suppression)
WINDOWS = (1, 2, 3, 5)
THRESHOLDS = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.85, 0.9)
PAIR_THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6)
MAX_FALSE_PER_HOUR = 0.5
MERGE_STEPS = 33  # wakes of two listeners within 1 s (33 steps of 30 ms) are one
REARM_FRACTION = 0.5  # as audio/wakeword.py: a listener re-arms below half its threshold


def smooth(series: list[float], window: int) -> np.ndarray:
    """The average of the last ``window`` scores at each step (0 until there are that many),
    as pymicro-wakeword averages them."""
    s = np.asarray(series, dtype=np.float64)
    if window == 1 or s.size == 0:
        return s
    mean = np.convolve(s, np.ones(window) / window, mode="valid")
    return np.concatenate([np.zeros(min(window - 1, s.size)), mean])


def fires(scores: np.ndarray, threshold: float) -> list[int]:
    """The steps at which a listener wakes."""
    armed, steps = True, []
    above = np.nonzero((scores > threshold) | (scores < threshold * REARM_FRACTION))[0]
    for i in above:
        if scores[i] < threshold * REARM_FRACTION:
            armed = True
        elif armed:
            armed = False
            steps.append(int(i))
    return steps


def half(index: int) -> str:
    """``dev`` or ``test`` for the text at ``index`` of its list (see the module's notes)."""
    return "dev" if index % 2 == 0 else "test"


class Scores:
    """Everything recorded: ``trials`` (one wake utterance in one condition: its raw scores
    per front end) and ``streams`` (other speech: the same), with their hours."""

    def __init__(self, trials: list[dict[str, Any]], streams: list[dict[str, Any]]) -> None:
        self.trials = trials
        self.streams = streams
        self.hours = sum(s["seconds"] for s in streams) / 3600
        self._peaks: dict[tuple[str, int], np.ndarray] = {}
        self._fires: dict[Listener, list[list[int]]] = {}

    def peaks(self, front: str, window: int) -> np.ndarray:
        """Each trial's highest averaged score."""
        key = (front, window)
        if key not in self._peaks:
            self._peaks[key] = np.array(
                [float(smooth(t["scores"][front], window).max(initial=0.0)) for t in self.trials]
            )
        return self._peaks[key]

    def stream_fires(self, listener: Listener) -> list[list[int]]:
        if listener not in self._fires:
            front, window, threshold = listener
            self._fires[listener] = [
                fires(smooth(s["scores"][front], window), threshold) for s in self.streams
            ]
        return self._fires[listener]

    def missed(self, listeners: tuple[Listener, ...]) -> np.ndarray:
        """Per trial: no listener woke."""
        heard = np.zeros(len(self.trials), dtype=bool)
        for front, window, threshold in listeners:
            heard |= self.peaks(front, window) > threshold
        return ~heard

    def false_wakes(self, listeners: tuple[Listener, ...]) -> list[dict[str, Any]]:
        found = []
        for n, stream in enumerate(self.streams):
            steps = sorted(step for lst in listeners for step in self.stream_fires(lst)[n])
            last = -MERGE_STEPS
            for step in steps:
                if step - last >= MERGE_STEPS:
                    found.append({"source": stream["source"], "condition": stream["condition"]})
                last = step
        return found

    def report(self, listeners: tuple[Listener, ...]) -> dict[str, Any]:
        """Miss rates per half, condition, voice and kind; false wakes per hour."""
        missed = self.missed(listeners)
        groups: dict[tuple[str, ...], list[bool]] = defaultdict(list)
        for trial, miss in zip(self.trials, missed, strict=True):
            for part in (trial["half"], "all"):
                condition = trial["condition"]
                groups[(part, condition)].append(bool(miss))
                groups[(part, condition, "voice", trial["voice"])].append(bool(miss))
                groups[(part, condition, "kind", trial["kind"])].append(bool(miss))
        table: dict[str, Any] = {}
        for key, values in groups.items():
            node = table.setdefault(key[0], {}).setdefault(key[1], {"missed": 0, "of": 0})
            if len(key) == 2:
                node.update(missed=sum(values), of=len(values))
                node["miss_rate"] = round(sum(values) / len(values), 4)
            else:
                node.setdefault(f"by_{key[2]}", {})[key[3]] = round(sum(values) / len(values), 4)
        wakes = self.false_wakes(listeners)
        return {
            "listeners": [{"front_end": f, "window": w, "threshold": th} for f, w, th in listeners],
            "misses": table,
            "false_wakes": {
                "count": len(wakes),
                "per_hour": round(len(wakes) / self.hours, 3),
                "where": wakes[:20],
            },
        }

    def candidates(self) -> list[tuple[Listener, ...]]:
        singles: list[tuple[Listener, ...]] = [
            ((front, window, threshold),)
            for front in FRONT_ENDS
            for window in WINDOWS
            for threshold in THRESHOLDS
        ]
        pairs: list[tuple[Listener, ...]] = [
            ((first, window, t1), ("denoised", window, t2))
            for first in ("plain", "gain")
            for window in WINDOWS[:3]
            for t1, t2 in itertools.product(PAIR_THRESHOLDS, PAIR_THRESHOLDS)
        ]
        return singles + pairs

    def choose(self) -> tuple[tuple[Listener, ...], int]:
        """The listeners with the fewest development misses (clean, 20 dB and 10 dB
        together; ties: fewer listeners, then fewer false wakes) within the false-wake
        budget; and how many were tried."""
        dev = np.array([t["half"] == "dev" for t in self.trials])
        best: tuple[tuple[float, int, int], tuple[Listener, ...]] | None = None
        tried = self.candidates()
        for listeners in tried:
            wakes = len(self.false_wakes(listeners))
            if wakes / self.hours > MAX_FALSE_PER_HOUR:
                continue
            key = (float(self.missed(listeners)[dev].mean()), len(listeners), wakes)
            if best is None or key < best[0]:
                best = (key, listeners)
        if best is None:
            raise RuntimeError("no listener kept within the false-wake budget")
        return best[1], len(tried)
