"""What words mean to the product search index (:mod:`commerce.search`).

Catalog text becomes index terms (:func:`analyse`: lemmas, and the joins of adjacent words,
"corn flakes" -> "cornflakes"); words the catalog spells two ways are found either way
(:func:`spelling_variants`, "yogurt" ~ "yoghurt"). A query word becomes a :class:`Slot`, the
index terms it may mean, found exactly, as a plural/lemma variant, as two spoken halves of one
catalog word ("sour dough"), as a catalog word split in two ("semiskimmed"), by rapidfuzz
similarity ("bananna") or by sound ("sereal", jellyfish metaphone/NYSIIS); each with how
similar it is and, for the last two, that it was a guess (:data:`Guess`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from commerce.text import (
    CONTAINER_WORDS,
    STOP_WORDS,
    UNIT_WORDS,
    extract_size_hint,
    lemma,
    metaphone,
    phonetic_keys,
    singular_variants,
    tokenize,
)

__all__ = ["Alt", "Guess", "QueryWords", "Slot", "analyse", "spelling_variants"]

MAX_QUERY_WORDS: Final = 12
CONTAINER_WEIGHT: Final = 0.3  # "loaves" in "two loaves of bread" barely counts
FUZZY_LIMIT: Final = 6
MAX_ALTERNATIVES: Final = 3


# What a query word may mean: index terms that must all match, and their similarity 0..1.
Alt = tuple[tuple[str, ...], float]
# How a word was guessed: spelt like a catalog word ("bananna") or only sounding like one.
Guess = Literal["fuzzy", "sound"]


@dataclass(frozen=True)
class Slot:
    """One query word (or two spoken halves of one word) and what it may mean."""

    alts: tuple[Alt, ...]
    weight: float
    guesses: tuple[Guess | None, ...] = ()  # per alternative; None: as said

    def guess(self, i: int) -> Guess | None:
        """How alternative ``i`` was guessed; None when it is a word as said."""
        return self.guesses[i] if i < len(self.guesses) else None


def confidence(sim: float) -> float:
    """How much a query word counts, given how surely it was recognised (similarity 0..1).

    A guessed word ("organic" heard as "oregano" in a catalog without organic lines) must not
    outweigh the words that matched exactly ("milk").
    """
    if sim >= 0.95:
        return 1.0
    return max(0.1, min(1.0, ((sim - 0.5) / 0.45) ** 2))


def fuzzy_cutoff(word: str) -> float:
    n = len(word)
    if n <= 3:
        return 101.0  # three letters: sound-alikes only
    if n == 4:
        return 75.0
    if n <= 6:
        return 78.0
    return 80.0


class QueryWords:
    """The index's vocabulary, read for a query's words: what each may mean (``slots``)."""

    def __init__(
        self,
        postings: Mapping[str, Mapping[int, int]],
        idf: Mapping[str, float],
        real: frozenset[str],
        surfaces: Mapping[str, str],
    ) -> None:
        """``postings`` and ``idf`` by index term; ``real``: terms as written in the catalog
        (not two-word joins); ``surfaces``: each spelling seen -> its index term."""
        self._postings = postings
        self._idf = idf
        self._mean_idf = (sum(idf.values()) / len(idf)) if idf else 1.0
        self._real = real
        surfaces = dict(surfaces)
        for term in self._postings:
            surfaces.setdefault(term, term)
        self._surface_term: Mapping[str, str] = {
            s: t for s, t in surfaces.items() if t in self._postings
        }
        self._choices: tuple[str, ...] = tuple(sorted(self._surface_term))
        phonetic: dict[str, set[str]] = {}
        by_code: dict[str, set[str]] = {}
        for s in self._choices:
            for key in phonetic_keys(s):
                phonetic.setdefault(key, set()).add(s)
            code = metaphone(s)
            if len(code) >= 3:
                by_code.setdefault(code, set()).add(s)
        self._phonetic: Mapping[str, tuple[str, ...]] = {
            k: tuple(sorted(v)) for k, v in phonetic.items()
        }
        # metaphone codes themselves, for sound-alikes one sound apart ("flower" ~ "flour")
        self._code_words: Mapping[str, tuple[str, ...]] = {
            k: tuple(sorted(v)) for k, v in by_code.items()
        }
        self._codes: tuple[str, ...] = tuple(sorted(by_code))
        self._spellings = spelling_variants(self._real)

    def patched(
        self,
        postings: Mapping[str, Mapping[int, int]],
        idf: Mapping[str, float],
        real: Iterable[str],
        surfaces: Mapping[str, str],
        gone: frozenset[str],
    ) -> QueryWords:
        """This vocabulary over patched ``postings`` and ``idf``: with the ``real`` words and
        ``surfaces`` of a product patched in, without the terms now in no product (``gone``).
        Costs the changed words (and a sort of the spellings), not a rebuild."""
        new = object.__new__(QueryWords)
        new._postings, new._idf = postings, idf
        new._mean_idf = (sum(idf.values()) / len(idf)) if idf else 1.0
        new._real = (self._real | frozenset(real)) - gone
        surface_term = {s: t for s, t in self._surface_term.items() if t not in gone}
        added = {s: t for s, t in surfaces.items() if t in postings and s not in surface_term}
        dropped = [s for s, t in self._surface_term.items() if t in gone]
        surface_term.update(added)
        new._surface_term = surface_term
        new._choices = tuple(sorted(surface_term)) if added or dropped else self._choices
        new._phonetic = _retabled(self._phonetic, added, dropped, _keys)
        new._code_words = _retabled(self._code_words, added, dropped, _code)
        new._codes = tuple(sorted(new._code_words)) if added or dropped else self._codes
        new._spellings = (
            spelling_variants(new._real) if new._real != self._real else self._spellings
        )
        return new

    def slots(self, text: str) -> list[Slot]:
        """The query's words without filler, each resolved against the index vocabulary."""
        tokens = tokenize(text)
        # "loaves of bread", "a bottle of milk": the pack is not the product ("tea bags" is)
        packs = {t for t, nxt in itertools.pairwise(tokens) if nxt == "of" and t in CONTAINER_WORDS}
        # a repeated word ("milk milk") says nothing new
        words = list(dict.fromkeys(t for t in tokens if t not in STOP_WORDS))
        words = words[:MAX_QUERY_WORDS]
        slots: list[Slot] = []
        i = 0
        while i < len(words):
            word = words[i]
            if i + 1 < len(words) and word.isalpha() and words[i + 1].isalpha():
                joined = lemma(word + words[i + 1])
                if joined in self._real and joined in self._postings:
                    # "tea bags": the catalog's "teabags", or "tea" and "bag" as written
                    parts = (lemma(word), lemma(words[i + 1]))
                    both = [(parts, 1.0)] if all(p in self._postings for p in parts) else []
                    slots.append(self._slot(((joined, 1.0),), groups=both))
                    i += 2
                    continue
            slots.extend(self._resolve(word, word in packs))
            i += 1
        return slots

    def _slot(
        self,
        alts: Sequence[tuple[str, float]],
        container: bool = False,
        groups: Sequence[Alt] = (),
        guesses: Sequence[Guess | None] = (),
    ) -> Slot:
        best, sim = max(alts, key=lambda a: a[1])
        weight = self._idf.get(best, self._mean_idf) * confidence(sim)
        if container:
            weight *= CONTAINER_WEIGHT
        return Slot(tuple(((t,), s) for t, s in alts) + tuple(groups), weight, tuple(guesses))

    def _resolve(self, word: str, container: bool = False) -> list[Slot]:
        """Slots for one query word: exact, variant, split in two, misspelt or sound-alike."""
        postings = self._postings
        if not word.isalpha():  # numbers only count when the catalog uses them ("2%")
            return [self._slot(((word, 1.0),))] if word in postings else []
        base = lemma(word)
        if base in postings:
            alts = [(base, 1.0)] + [(v, 0.95) for v in self._spellings.get(base, ())]
            return [self._slot(alts[: MAX_ALTERNATIVES + 1], container)]
        variants = [(v, 0.97) for v in singular_variants(word) if v in postings]
        if variants:
            return [self._slot(variants[:MAX_ALTERNATIVES], container)]
        if word in CONTAINER_WORDS or word in UNIT_WORDS:  # "pints", "bottle": no guessing
            return []
        split = self._split(word)
        if split:
            return split
        guessed = self._fuzzy(word)
        if guessed:
            alts = [(term, sim) for term, sim, _ in guessed]
            return [self._slot(alts, container, guesses=[g for _, _, g in guessed])]
        # Unknown word: it still counts against every product, a little.
        return [Slot((), 0.5 * self._mean_idf)]

    def _split(self, word: str) -> list[Slot]:
        """A catalog phrase run together by the recogniser ("semiskimmed")."""
        best: tuple[int, str, str] | None = None
        for cut in range(3, len(word) - 2):
            left, right = lemma(word[:cut]), lemma(word[cut:])
            if left in self._real and right in self._real:
                balance = min(cut, len(word) - cut)
                if best is None or balance > best[0]:
                    best = (balance, left, right)
        if best is None:
            return []
        return [self._slot(((best[1], 0.95),)), self._slot(((best[2], 0.95),))]

    def _fuzzy(self, word: str) -> list[tuple[str, float, Guess]]:
        """Index terms spelt or sounding like ``word``, best first, with similarities and how
        each was guessed (spelt alike, or only sounding alike)."""
        found: dict[str, float] = {}
        kinds: dict[str, Guess] = {}
        cutoff = fuzzy_cutoff(word)
        if cutoff <= 100.0:
            for surface, score, _ in process.extract(
                word, self._choices, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=cutoff
            ):
                term = self._surface_term[surface]
                sim = 0.95 * score / 100.0
                if sim > found.get(term, 0.0):
                    found[term] = sim
                    kinds[term] = "fuzzy"
        sounds: dict[str, float] = {}  # surface -> similarity of sound, 0..1
        for key in phonetic_keys(word):
            for surface in self._phonetic.get(key, ()):
                sounds[surface] = 1.0
        code = metaphone(word)
        if len(code) >= 3:
            for near, score, _ in process.extract(
                code, self._codes, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=75.0
            ):
                if abs(len(near) - len(code)) > 1:  # "flower" is not "cauliflower"
                    continue
                for surface in self._code_words[near]:
                    sounds[surface] = max(sounds.get(surface, 0.0), score / 100.0)
        for surface, sound in sounds.items():
            ratio = fuzz.ratio(word, surface) / 100.0
            if ratio < 0.5:
                continue
            term = self._surface_term[surface]
            sim = 0.45 + 0.25 * sound + 0.25 * ratio
            if sim > found.get(term, 0.0):
                found[term] = sim
                kinds.setdefault(term, "sound")  # spelt alike too: a misspelling
        if not found:
            return []
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        top = ranked[0][1]
        return [(t, s, kinds[t]) for t, s in ranked[:MAX_ALTERNATIVES] if s >= top - 0.08]


def _keys(surface: str) -> list[str]:
    return list(phonetic_keys(surface))


def _code(surface: str) -> list[str]:
    code = metaphone(surface)
    return [code] if len(code) >= 3 else []


def _retabled(
    table: Mapping[str, tuple[str, ...]],
    added: Iterable[str],
    dropped: Iterable[str],
    keys: Callable[[str], list[str]],
) -> Mapping[str, tuple[str, ...]]:
    """A sound table (code -> surfaces) with these surfaces added and dropped; the entries
    they do not touch are shared with ``table``."""
    changed: dict[str, set[str]] = {}
    for s in dropped:
        for k in keys(s):
            changed.setdefault(k, set(table.get(k, ()))).discard(s)
    for s in added:
        for k in keys(s):
            changed.setdefault(k, set(table.get(k, ()))).add(s)
    if not changed:
        return table
    out = dict(table)
    for k, found in changed.items():
        if found:
            out[k] = tuple(sorted(found))
        else:
            out.pop(k, None)
    return out


def spelling_variants(words: Iterable[str]) -> Mapping[str, tuple[str, ...]]:
    """Catalog words spelt two ways, one letter apart inside the word ("yogurt", "yoghurt").

    Both must be five letters or more and share their first two and last letters, so that
    "range" and "orange" or "mince" and "minced" stay apart.
    """
    buckets: dict[tuple[str, str, int], list[str]] = {}
    for w in words:
        if len(w) >= 5 and w.isalpha():
            buckets.setdefault((w[:2], w[-1], len(w)), []).append(w)
    variants: dict[str, list[str]] = {}
    for (head, tail, n), shorter in buckets.items():
        for longer in buckets.get((head, tail, n + 1), ()):
            for w in shorter:
                if Indel.distance(w, longer) == 1:
                    variants.setdefault(w, []).append(longer)
                    variants.setdefault(longer, []).append(w)
    return {w: tuple(sorted(v)) for w, v in variants.items()}


def analyse(text: str, surfaces: dict[str, str]) -> tuple[list[str], list[str]]:
    """Index terms of a catalog text and the joins of its adjacent words ("corn flakes").

    Records each spelling seen in ``surfaces`` (spelling -> term) for fuzzy matching.
    """
    text, _ = extract_size_hint(text, bare_counts=False)
    tokens = [t for t in tokenize(text) if t not in STOP_WORDS]
    words: list[str] = []
    for tok in tokens:
        term = lemma(tok)
        surfaces.setdefault(tok, term)
        surfaces.setdefault(term, term)
        if term not in words:
            words.append(term)
    joins: list[str] = []
    for a, b in itertools.pairwise(tokens):
        if a.isalpha() and b.isalpha():
            joined = lemma(a + b)
            surfaces.setdefault(a + b, joined)
            if joined not in words and joined not in joins:
                joins.append(joined)
    return words, joins
