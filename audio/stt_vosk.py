"""vosk: the primary engine for deployments — Kaldi's streaming recogniser with partial results.

The model is loaded from an explicit folder (``vosk.Model(model_path=...)``; never
``lang=``, which downloads and exits the process on an unknown name). A missing folder is a
``stt-model-missing`` error naming the command that fetches one. With the shop model, the
recogniser gets a phrase list (the shop's sentences, catalog names and single words, then
``[unk]``), which small and ``lgraph`` models compile at run time; phrases with words the model
does not know are left out (vosk would only warn about them).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from audio.base import RATE, AudioChunk, Expect, SpeakerState, Transcript
from audio.errors import SpeechToTextError
from audio.formats import require_engine_format
from audio.shop_lm import UNK

log = logging.getLogger(__name__)

MODEL_MARKERS = ("am/final.mdl", "final.mdl")


def check_model_folder(path: Path, name: str | None = None) -> Path:
    """``path`` if it holds a vosk model; ``stt-model-missing`` with the fix if it does not."""
    if not any((path / marker).exists() for marker in MODEL_MARKERS):
        fix = f"python run_assistant.py models download {name or path.name}"
        raise SpeechToTextError(
            "stt-model-missing",
            f"no vosk model in {path} (speech.vosk_model / VOSK_MODEL_PATH); fetch one with: {fix}",
        )
    return path


def usable_phrases(phrases: list[str], known: Any) -> list[str]:
    """Keep the phrases whose every word the model knows (``known(word) -> bool``); end with
    ``[unk]`` so speech outside the list still has somewhere to go."""
    kept = [p for p in phrases if p != UNK and p.split() and all(known(w) for w in p.split())]
    return [*kept, UNK]


def _text(result_json: str, key: str = "text") -> str:
    try:
        return " ".join(str(json.loads(result_json).get(key, "")).split())
    except json.JSONDecodeError as err:
        raise SpeechToTextError("stt-failed", f"vosk returned {result_json!r}") from err


def _confidence(result_json: str) -> float | None:
    words = json.loads(result_json).get("result") or []
    confs = [float(w["conf"]) for w in words if "conf" in w]
    return sum(confs) / len(confs) if confs else None


class VoskRecognition:
    def __init__(self, owner: VoskTranscriber, recognizer: Any) -> None:
        self._owner = owner
        self._rec: Any | None = recognizer
        self._partial = ""
        self._final_parts: list[str] = []
        self._decode_s = 0.0

    def accept(self, chunk: AudioChunk) -> str | None:
        require_engine_format(chunk)
        rec = self._active()
        started = time.perf_counter()
        if rec.AcceptWaveform(chunk.data):
            # vosk found an endpoint of its own: keep that segment, go on with the next
            part = _text(rec.Result())
            if part:
                self._final_parts.append(part)
            text = " ".join(self._final_parts)
        else:
            text = " ".join([*self._final_parts, _text(rec.PartialResult(), "partial")]).strip()
        self._decode_s += time.perf_counter() - started
        if text and text != self._partial:
            self._partial = text
            return text
        return None

    def finish(self) -> Transcript:
        rec = self._active()
        started = time.perf_counter()
        try:
            final = rec.FinalResult()
            parts = [*self._final_parts, _text(final)]
            confidence = _confidence(final)
        finally:
            rec.Reset()
            self._owner._give_back(rec)
            self._rec = None
        decode_ms = (self._decode_s + time.perf_counter() - started) * 1000
        return Transcript(" ".join(p for p in parts if p), self._owner.name, confidence, decode_ms)

    def _active(self) -> Any:
        if self._rec is None:
            raise SpeechToTextError("stt-failed", "this utterance is already finished")
        return self._rec


class VoskTranscriber:
    """Streaming and whole-utterance recognition with a vosk model from an explicit folder.

    Args:
        model_path: the unpacked model folder.
        phrases: the shop's phrase list, or None for the model's own full vocabulary.
        model_name: the registry name the ``models download`` hint should use.
    """

    def __init__(
        self,
        model_path: Path,
        phrases: list[str] | None = None,
        model_name: str | None = None,
        pool_size: int = 2,
    ) -> None:
        check_model_folder(model_path, model_name)
        import vosk

        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(model_path=str(model_path))
        except Exception as err:  # vosk raises a bare Exception("Failed to create a model")
            raise SpeechToTextError(
                "stt-model-missing", f"vosk could not load the model in {model_path}: {err}"
            ) from err
        self._vosk = vosk
        self.name = "vosk" if phrases is not None else "vosk-general"
        self.grammar: str | None = None
        if phrases is not None:
            kept = usable_phrases(phrases, lambda w: self._model.vosk_model_find_word(w) != -1)
            log.info("vosk phrase list: %d of %d phrases usable", len(kept) - 1, len(phrases))
            self.grammar = json.dumps(kept)
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._pool_size = pool_size
        self._lock = threading.Lock()
        self._give_back(self._new_recognizer())

    def _new_recognizer(self) -> Any:
        if self.grammar is not None:
            rec = self._vosk.KaldiRecognizer(self._model, RATE, self.grammar)
        else:
            rec = self._vosk.KaldiRecognizer(self._model, RATE)
        rec.SetWords(True)
        return rec

    def _give_back(self, rec: Any) -> None:
        if self._pool.qsize() < self._pool_size:
            self._pool.put(rec)

    def _borrow(self) -> Any:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            return self._new_recognizer()

    def start(
        self, speaker: SpeakerState | None = None, expect: Expect = Expect.SPEECH
    ) -> VoskRecognition:
        """``speaker`` and ``expect`` are accepted for the interface: vosk keeps no state
        between utterances and is not restricted to digits (the PIN is read from its words)."""
        return VoskRecognition(self, self._borrow())

    def transcribe(self, audio: AudioChunk, expect: Expect = Expect.SPEECH) -> Transcript:
        require_engine_format(audio)
        recognition = self.start(expect=expect)
        step = RATE * 2 // 5  # 200 ms blocks, as a device would deliver them
        for start in range(0, len(audio.data), step):
            recognition.accept(
                AudioChunk(
                    audio.rate, audio.width, audio.channels, audio.data[start : start + step]
                )
            )
        return recognition.finish()
