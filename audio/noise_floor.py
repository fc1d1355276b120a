"""A noise floor under audio that has none.

pocketsphinx's log filter-bank features go wild on spectral holes: synthetic speech and digital
silence have bands with next to no energy, which a microphone never delivers. Half-bit dither
is not enough; filling the floor up to a small level (RMS 20 of 32,768, about -64 dBFS) is. On
espeak-ng's voice it cut the word error rate from 34 % to 10 % (44 bench sentences, clean),
and audio that already has that much noise gets nothing added.
"""

from __future__ import annotations

import numpy as np

FRAME = 160  # 10 ms at 16 kHz


class NoiseFloor:
    """Adds Gaussian noise to 16-bit PCM so its quietest frames reach ``rms`` (per utterance).

    The utterance's floor is the 10th percentile of its 10 ms frame levels so far; only the power
    missing up to ``rms`` is added, so a real microphone's own hiss usually gets little or none.
    The noise is seeded, so the same audio always gives the same result.
    """

    def __init__(self, rms: float, seed: int = 0) -> None:
        self.rms = rms
        self._levels: list[float] = []
        self._rng = np.random.default_rng(seed)

    def __call__(self, pcm: bytes) -> bytes:
        if self.rms <= 0 or not pcm:
            return pcm
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        whole = samples.size - samples.size % FRAME
        if whole:
            frames = samples[:whole].reshape(-1, FRAME)
            self._levels.extend(np.sqrt(np.mean(frames**2, axis=1)).tolist())
        floor = float(np.percentile(self._levels, 10)) if self._levels else 0.0
        missing = self.rms**2 - floor**2
        if missing <= 0:
            return pcm
        samples += self._rng.normal(0.0, np.sqrt(missing), samples.size)
        return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()
