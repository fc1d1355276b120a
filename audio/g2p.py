# ruff: noqa: RUF002, RUF003 - IPA phoneme symbols are the subject of this module
"""Pronunciations for words missing from pocketsphinx's dictionary, offline.

espeak-ng knows how to say any English word (its rules plus its own exception lists); we ask
it for IPA phonemes (``espeak-ng -q --ipa --sep=' ' WORD``) and map them onto the CMU ARPAbet
phone set the acoustic model uses. ``basmati`` -> ``b æ z m ˈɑː ɾ i`` -> ``B AE Z M AA T IY``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from audio.errors import SpeechToTextError

log = logging.getLogger(__name__)

# Longest symbols are matched first (so "aɪ" wins over "a").
IPA_TO_ARPABET: dict[str, str] = {
    # vowels and diphthongs
    "aɪ": "AY", "aʊ": "AW", "eɪ": "EY", "oʊ": "OW", "əʊ": "OW", "ɔɪ": "OY",
    "ɪə": "IH R", "eə": "EH R", "ɛə": "EH R", "ʊə": "UH R", "iə": "IY AH",
    "ɑː": "AA", "ɑ": "AA", "ɒ": "AA", "æ": "AE", "a": "AE", "ʌ": "AH", "ə": "AH", "ɐ": "AH",
    "ɚ": "ER", "ɜː": "ER", "ɜ": "ER", "ɔː": "AO", "ɔ": "AO", "ɛ": "EH", "e": "EH",
    "ɪ": "IH", "ᵻ": "IH", "iː": "IY", "i": "IY", "ʊ": "UH", "uː": "UW", "u": "UW", "o": "OW",
    # syllabic consonants
    "l̩": "AH L", "n̩": "AH N", "m̩": "AH M",
    # consonants
    "tʃ": "CH", "dʒ": "JH", "b": "B", "d": "D", "f": "F", "ɡ": "G", "g": "G", "h": "HH",
    "k": "K", "l": "L", "ɫ": "L", "m": "M", "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R",
    "ɾ": "T", "ʔ": "T", "s": "S", "ʃ": "SH", "t": "T", "θ": "TH", "ð": "DH", "v": "V",
    "w": "W", "ʍ": "W", "j": "Y", "z": "Z", "ʒ": "ZH", "x": "K", "ç": "HH",
}  # fmt: skip
_SYMBOLS = sorted(IPA_TO_ARPABET, key=len, reverse=True)
_IGNORED = set("ˈˌ.ː‖|-_ ̃") | {"\u0303", "\u0361", "\u032f", "\u02de"}


def ipa_to_arpabet(ipa: str) -> list[str]:
    """Map an espeak-ng IPA string onto ARPAbet phones; unknown symbols are dropped."""
    phones: list[str] = []
    text = ipa.replace("ˈ", "").replace("ˌ", "")
    i = 0
    while i < len(text):
        for symbol in _SYMBOLS:
            if text.startswith(symbol, i):
                phones += IPA_TO_ARPABET[symbol].split()
                i += len(symbol)
                break
        else:
            if text[i] not in _IGNORED and not text[i].isspace():
                log.debug("no ARPAbet phone for IPA %r in %r", text[i], ipa)
            i += 1
    return phones


def espeak_binary() -> str:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SpeechToTextError(
            "g2p-unavailable",
            "espeak-ng is not installed (scripts/setup.sh installs requirements/debian.txt)",
        )
    return binary


@lru_cache(maxsize=4096)
def pronounce(word: str, voice: str = "en-us") -> str:
    """ARPAbet pronunciation of ``word`` (space-separated phones), from espeak-ng."""
    result = subprocess.run(  # noqa: S603 - a fixed binary with the word as one argument
        [espeak_binary(), "-q", "-v", voice, "--ipa", "--sep= ", word],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if result.returncode != 0:
        raise SpeechToTextError("g2p-failed", f"espeak-ng failed on {word!r}: {result.stderr}")
    phones = ipa_to_arpabet(" ".join(result.stdout.split()))
    if not phones:
        raise SpeechToTextError("g2p-failed", f"no pronunciation for {word!r}")
    return " ".join(phones)


def pronounce_many(words: list[str], voice: str = "en-us") -> dict[str, str]:
    """Pronunciations of many words with one espeak-ng run (one word per sentence)."""
    if not words:
        return {}
    result = subprocess.run(  # noqa: S603 - a fixed binary; the words go in on stdin
        [espeak_binary(), "-q", "-v", voice, "--ipa", "--sep= "],
        input="".join(f"{w}.\n" for w in words),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or len(lines) != len(words):
        log.debug(
            "batch g2p misaligned (%d lines for %d words); word by word", len(lines), len(words)
        )
        return {w: pronounce(w, voice) for w in words}
    out: dict[str, str] = {}
    for word, line in zip(words, lines, strict=True):
        phones = ipa_to_arpabet(" ".join(line.split()))
        out[word] = " ".join(phones) if phones else pronounce(word, voice)
    return out


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """A CMU-format dictionary: word -> pronunciations (``word(2)`` variants folded in)."""
    entries: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                continue
            word = parts[0].split("(", 1)[0]
            phones = parts[1].split("#", 1)[0].strip()
            entries.setdefault(word, []).append(phones)
    return entries
