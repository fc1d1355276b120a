"""In-memory product search tuned for speech-recogniser output.

The index maps normalised, lemmatised words to the products whose name, synonyms, category,
brand or department contain them (an inverted index with IDF weights). A query is cleaned of
filler words and pack sizes (:func:`commerce.text.extract_size_hint`), each remaining word is
resolved against the index vocabulary -- exactly, as a plural/lemma variant, as two spoken
halves of one catalog word ("sour dough"), as a catalog word split in two, by rapidfuzz
similarity ("bananna") or by sound ("sereal", jellyfish metaphone/NYSIIS) -- and every product
containing a resolved word is scored in one pass over the postings. Only the few best
candidates get the final rapidfuzz re-rank against their names.

Scores combine (weights ``W_*`` below): how much of the query the product covers (weighted by
where each word matched: name > synonyms > category > brand > department, and by how surely a
guessed word was recognised), how much of it the *name* covers, whether the query names the
product's category (strongest when the query's last word, its head noun, does) together with
how ordinary the product is in that category (a popularity prior from the catalog's range:
plain cow's milk before oat milk for "milk"), how much of the name the query covers (short
names that fully match beat long ones), whether the head noun of the name or category was
asked for, closeness to a requested pack size, and the rapidfuzz similarity of name and query.
Ties are broken by SKU.

Each hit also says how the query found it (``SearchHit.match``, :data:`MATCH_KINDS`): by a
word of its name, of its synonyms, of its category, of its brand or of its department as
said (plurals, spelling variants and split or joined words count as said), or only by a
guessed word, misspelt ("fuzzy") or sounding alike ("sound"). The surest evidence wins: "semi
skimmed milk" is a name match even if "milk" is only the category. A score cannot tell
"butcher" (a brand word: Brackenhill Butchers) from "sourdough" (a name); the kind can.

An index is immutable once built, so concurrent ``search`` calls need no locking.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from commerce.text import (
    CONTAINER_WORDS,
    STOP_WORDS,
    UNIT_WORDS,
    SizeHint,
    extract_size_hint,
    lemma,
    metaphone,
    phonetic_keys,
    singular_variants,
    size_closeness,
    size_in_base_units,
    tokenize,
)

__all__ = ["MATCH_KINDS", "Match", "SearchDoc", "SearchHit", "SearchIndex"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchDoc:
    product_id: int
    sku: str
    name: str
    brand: str
    department: str
    category: str
    size: float
    unit: str  # "ml", "L", "g", "kg", "each"
    synonyms: tuple[str, ...] = ()


Match = Literal["name", "synonym", "category", "brand", "department", "fuzzy", "sound"]
# How a query found a product, surest first (a hit's ``match`` is the surest it has).
MATCH_KINDS: Final[tuple[Match, ...]] = (
    "name", "synonym", "category", "brand", "department", "fuzzy", "sound"
)  # fmt: skip


@dataclass(frozen=True)
class SearchHit:
    product_id: int
    sku: str
    score: float  # higher is better, 0..100
    match: Match = "name"  # how the query found it: MATCH_KINDS


_NO_SYNONYMS: Final[Mapping[str, Sequence[str]]] = MappingProxyType({})

# Field bits of a posting and the weight of a match in each field.
NAME: Final = 1
SYN: Final = 2
CAT: Final = 4
BRAND: Final = 8
DEPT: Final = 16
_FIELD_WEIGHT: Final = ((NAME, 1.0), (SYN, 0.95), (CAT, 0.9), (BRAND, 0.8), (DEPT, 0.4))
_MASK_WEIGHT: Final = tuple(
    max((w for bit, w in _FIELD_WEIGHT if mask & bit), default=0.0) for mask in range(32)
)
_NAMEISH: Final = NAME | SYN
# The surest field of a posting's field bits, as a rank into MATCH_KINDS (0 = name).
_FIELD_RANK: Final = tuple(
    next((rank for rank, bit in enumerate((NAME, SYN, CAT, BRAND, DEPT)) if mask & bit), 4)
    for mask in range(32)
)
_SAID: Final = 0  # how a query word was resolved: as said, misspelt or a sound-alike
_FUZZY: Final = MATCH_KINDS.index("fuzzy")
_SOUND: Final = MATCH_KINDS.index("sound")

# Score weights; the total is rescaled so that a perfect match scores 100, with or without size.
W_COVER: Final = 0.40  # query words matched anywhere, field-weighted
W_NAME: Final = 0.10  # query words matched in the name (or product synonyms)
W_CAT: Final = 0.12  # query words naming the product's category, times its share of it
W_PREC: Final = 0.04  # share of the name's words the query asked for
W_HEAD: Final = 0.08  # the head noun of the name or of the category was asked for
W_TYPICAL: Final = 0.15  # how ordinary the product is in the category asked for (cow's milk)
W_FUZZ: Final = 0.03  # rapidfuzz similarity of query and name (re-rank of the best few)
W_SIZE: Final = 0.10  # closeness to the pack size asked for
_W_TEXT: Final = W_COVER + W_NAME + W_CAT + W_PREC + W_HEAD + W_TYPICAL + W_FUZZ

MAX_QUERY_CHARS: Final = 300  # a spoken request is short; a 10 KB "query" is noise
MAX_QUERY_WORDS: Final = 12
RERANK: Final = 120  # candidates that get the rapidfuzz re-rank
MIN_RELATIVE: Final = 0.35  # drop hits scoring below this share of the best hit
CONTAINER_WEIGHT: Final = 0.3  # "loaves" in "two loaves of bread" barely counts
FUZZY_LIMIT: Final = 6
MAX_ALTERNATIVES: Final = 3
COMMON_SHARE: Final = 0.1  # a query word in more than this share of products is "common"


# What a query word may mean: index terms that must all match, and their similarity 0..1.
_Alt = tuple[tuple[str, ...], float]


@dataclass(frozen=True)
class _Slot:
    """One query word (or two spoken halves of one word) and what it may mean."""

    alts: tuple[_Alt, ...]
    weight: float
    # per alternative: _SAID, or _FUZZY / _SOUND for a guess (see MATCH_KINDS)
    guesses: tuple[int, ...] = ()

    def guess(self, i: int) -> int:
        return self.guesses[i] if i < len(self.guesses) else _SAID


@dataclass(frozen=True)
class _DocInfo:
    sku_rank: int
    name_len: int
    cat_len: int
    head: str
    cat_head: str
    name_key: str  # canonical name terms joined by spaces, for the rapidfuzz re-rank
    size: SizeHint | None
    typical: float  # 0..1, see _typicality


def _confidence(sim: float) -> float:
    """How much a query word counts, given how surely it was recognised (similarity 0..1).

    A guessed word ("organic" heard as "oregano" in a catalog without organic lines) must not
    outweigh the words that matched exactly ("milk").
    """
    if sim >= 0.95:
        return 1.0
    return max(0.1, min(1.0, ((sim - 0.5) / 0.45) ** 2))


def _fuzzy_cutoff(word: str) -> float:
    n = len(word)
    if n <= 3:
        return 101.0  # three letters: sound-alikes only
    if n == 4:
        return 75.0
    if n <= 6:
        return 78.0
    return 80.0


class SearchIndex:
    """Immutable search index over a catalog; ``search`` is safe to call from many threads."""

    def __init__(
        self,
        docs: Iterable[SearchDoc],
        global_synonyms: Mapping[str, Sequence[str]] = _NO_SYNONYMS,
    ) -> None:
        self._docs: tuple[SearchDoc, ...] = tuple(docs)
        n = len(self._docs)
        doc_terms: list[dict[str, int]] = [{} for _ in range(n)]
        real: set[str] = set()  # words as written in the catalog (not two-word joins)
        surfaces: dict[str, str] = {}  # spelling seen -> index term, for fuzzy matching
        name_lists: list[list[str]] = []
        cat_lists: list[list[str]] = []
        sku_rank = {sku: i for i, sku in enumerate(sorted({d.sku for d in self._docs}))}
        analysed: dict[str, tuple[list[str], list[str]]] = {}  # brands etc. repeat a lot

        for i, doc in enumerate(self._docs):
            terms = doc_terms[i]
            name_terms: list[str] = []
            cat_terms: list[str] = []
            synonyms = (doc.synonyms,) if isinstance(doc.synonyms, str) else doc.synonyms
            for bit, texts in (
                (NAME, (doc.name,)),
                (SYN, tuple(synonyms or ())),
                (CAT, (doc.category,)),
                (BRAND, (doc.brand,)),
                (DEPT, (doc.department,)),
            ):
                for text in texts:
                    key = str(text or "")
                    if key not in analysed:
                        analysed[key] = _analyse(key, surfaces)
                    words, joins = analysed[key]
                    for w in words:
                        terms[w] = terms.get(w, 0) | bit
                        real.add(w)
                    for j in joins:
                        terms[j] = terms.get(j, 0) | bit
                    if bit == NAME:
                        name_terms.extend(w for w in words if w not in name_terms)
                    elif bit == CAT:
                        cat_terms.extend(w for w in words if w not in cat_terms)
            name_lists.append(name_terms)
            cat_lists.append(cat_terms)
        typical = _typicality(name_lists, cat_lists)
        infos = [
            _DocInfo(
                sku_rank=sku_rank[doc.sku],
                name_len=max(1, len(name_lists[i])),
                cat_len=max(1, len(cat_lists[i])),
                head=name_lists[i][-1] if name_lists[i] else "",
                cat_head=cat_lists[i][-1] if cat_lists[i] else "",
                name_key=" ".join(name_lists[i]),
                size=size_in_base_units(doc.size, doc.unit),
                typical=typical[i],
            )
            for i, doc in enumerate(self._docs)
        ]

        self._apply_global_synonyms(global_synonyms, doc_terms, real, surfaces)

        postings: dict[str, list[tuple[int, int]]] = {}
        for i, terms in enumerate(doc_terms):
            for term, mask in terms.items():
                postings.setdefault(term, []).append((i, mask))
        # term -> {product: field bits}; a dict, so common words can be probed per candidate
        self._postings: Mapping[str, Mapping[int, int]] = {t: dict(p) for t, p in postings.items()}
        self._idf: Mapping[str, float] = {
            t: math.log(1.0 + n / len(p)) for t, p in self._postings.items()
        }
        self._mean_idf = (sum(self._idf.values()) / len(self._idf)) if self._idf else 1.0
        self._real: frozenset[str] = frozenset(real)
        self._infos: tuple[_DocInfo, ...] = tuple(infos)

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
        self._spellings = _spelling_variants(self._real)

    def __len__(self) -> int:
        return len(self._docs)

    # -- build helpers -------------------------------------------------------------------------

    def _apply_global_synonyms(
        self,
        global_synonyms: Mapping[str, Sequence[str]],
        doc_terms: list[dict[str, int]],
        real: set[str],
        surfaces: dict[str, str],
    ) -> None:
        """Give products the spoken words that mean them ("coke" for every cola)."""
        if not global_synonyms:
            return
        by_term: dict[str, set[int]] = {}
        for i, terms in enumerate(doc_terms):
            for term, mask in terms.items():
                if mask & (NAME | SYN | CAT):
                    by_term.setdefault(term, set()).add(i)
        for spoken, meanings in global_synonyms.items():
            key_words, key_joins = _analyse(str(spoken or ""), surfaces)
            if not key_words:
                continue
            if isinstance(meanings, str):
                meanings = (meanings,)
            for meaning in meanings:
                words, _ = _analyse(str(meaning or ""), {})
                if not words or any(w not in by_term for w in words):
                    continue
                matched = set.intersection(*(by_term[w] for w in words))
                for i in matched:
                    terms = doc_terms[i]
                    in_category = all(terms.get(w, 0) & CAT for w in words)
                    bit = SYN | CAT if in_category else SYN
                    for w in (*key_words, *key_joins):
                        terms[w] = terms.get(w, 0) | bit
            real.update(key_words)

    # -- search --------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Products for a spoken request, best first; ``[]`` when nothing fits."""
        try:
            return self._search(query, limit)
        except Exception:  # a search box must never fail on input; an empty answer is honest
            _log.exception("product search failed for %r", str(query)[:80])
            return []

    def _search(self, query: str, limit: int) -> list[SearchHit]:
        if not isinstance(query, str) or limit <= 0 or not self._docs:
            return []
        text, hint = extract_size_hint(query[:MAX_QUERY_CHARS])
        slots = self._slots(text)
        if not any(slot.alts for slot in slots):
            return []
        total_weight = sum(slot.weight for slot in slots)

        cover: dict[int, float] = {}
        name_cover: dict[int, float] = {}
        name_hits: dict[int, int] = {}
        cat_cover: dict[int, float] = {}
        cat_hits: dict[int, int] = {}
        term_sim: dict[str, float] = {}
        how: dict[int, int] = {}  # product -> the surest match rank into MATCH_KINDS
        # the last word of a request is usually its head noun ("rice pudding" is a pudding)
        last_slot = next(slot for slot in reversed(slots) if slot.alts)
        last = {t: sim for terms, sim in last_slot.alts for t in terms}
        postings = self._postings
        common = COMMON_SHARE * len(self._docs)
        # rare words first: a word most products share ("greenleaf", the own label) then only
        # adds to the products the rarer words found, instead of scoring half the catalog
        sized = sorted(
            (
                (sum(min(len(postings[t]) for t in terms) for terms, _ in slot.alts), slot)
                for slot in slots
                if slot.alts
            ),
            key=lambda pair: pair[0],
        )
        for size, slot in sized:
            best: dict[int, float] = {}
            best_name: dict[int, tuple[float, int]] = {}
            best_cat: dict[int, float] = {}
            within = cover if size > common and cover else None
            for a, (terms, sim) in enumerate(slot.alts):
                for term in terms:
                    if sim > term_sim.get(term, 0.0):
                        term_sim[term] = sim
                guess = slot.guess(a)
                for doc, weight, in_name, in_cat, field in self._matches(terms, within):
                    rank = guess or field
                    if rank < how.get(doc, len(MATCH_KINDS)):
                        how[doc] = rank
                    value = sim * weight
                    if value > best.get(doc, 0.0):
                        best[doc] = value
                    if in_name and sim > best_name.get(doc, (0.0, 0))[0]:
                        best_name[doc] = (sim, len(terms))
                    if in_cat and sim > best_cat.get(doc, 0.0):
                        best_cat[doc] = sim
            w = slot.weight
            for doc, value in best.items():
                cover[doc] = cover.get(doc, 0.0) + w * value
            for doc, (value, count) in best_name.items():
                name_cover[doc] = name_cover.get(doc, 0.0) + w * value
                name_hits[doc] = name_hits.get(doc, 0) + count
            # a category named by a modifier ("rice" of "rice pudding") counts a quarter
            cat_w = w if slot is last_slot else 0.25 * w
            for doc, value in best_cat.items():
                cat_cover[doc] = cat_cover.get(doc, 0.0) + cat_w * value
                cat_hits[doc] = cat_hits.get(doc, 0) + 1

        scale = 100.0 / (_W_TEXT + W_SIZE if hint is not None else _W_TEXT)
        infos = self._infos
        inv_total = 1.0 / total_weight
        prelim: list[tuple[float, int, int]] = []
        for doc, value in cover.items():
            info = infos[doc]
            # the query names the product's category: how much of the query, times how much
            # of the category ("milk" is half of "coconut milk")
            in_category = (
                cat_cover.get(doc, 0.0) * inv_total * min(1.0, cat_hits.get(doc, 0) / info.cat_len)
            )
            precision = min(1.0, name_hits.get(doc, 0) / info.name_len)
            # asked for by its whole name, a product is what was meant, however unusual
            typical = 1.0 if precision >= 1.0 else info.typical
            head = max(
                last.get(info.head, 0.0),
                last.get(info.cat_head, 0.0),
                0.5 * term_sim.get(info.head, 0.0),
                0.5 * term_sim.get(info.cat_head, 0.0),
            )
            score = (
                W_COVER * value * inv_total
                + W_NAME * name_cover.get(doc, 0.0) * inv_total
                + (W_CAT + W_TYPICAL * typical) * in_category
                + W_PREC * precision
                + W_HEAD * head
            )
            if hint is not None:
                score += W_SIZE * size_closeness(hint, info.size)
            prelim.append((score, -info.sku_rank, doc))

        top = heapq.nlargest(max(RERANK, 2 * limit), prelim)
        query_key = " ".join(" ".join(max(s.alts, key=lambda a: a[1])[0]) for s in slots if s.alts)
        ranked: list[tuple[float, str, int]] = []
        for score, _, doc in top:
            similarity = fuzz.ratio(query_key, infos[doc].name_key) / 100.0
            final = round((score + W_FUZZ * similarity) * scale, 3)
            ranked.append((final, self._docs[doc].sku, doc))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        if not ranked:
            return []
        floor = ranked[0][0] * MIN_RELATIVE
        return [
            SearchHit(self._docs[doc].product_id, sku, final, MATCH_KINDS[how[doc]])
            for final, sku, doc in ranked[:limit]
            if final >= floor
        ]

    def _matches(
        self, terms: tuple[str, ...], within: Mapping[int, float] | None
    ) -> Iterator[tuple[int, float, bool, bool, int]]:
        """(product, field weight, in its name, in its category, the surest field's rank into
        MATCH_KINDS) of products with all ``terms``.

        With ``within``, only those products are looked at (a common word, see ``_search``).
        """
        mask_weight, field = _MASK_WEIGHT, _FIELD_RANK
        if len(terms) == 1:
            found = self._postings[terms[0]]
            if within is None:
                for doc, mask in found.items():
                    yield (
                        doc,
                        mask_weight[mask],
                        bool(mask & _NAMEISH),
                        bool(mask & CAT),
                        field[mask],
                    )
            else:
                for doc in within:
                    mask = found.get(doc, 0)
                    if mask:
                        yield (
                            doc,
                            mask_weight[mask],
                            bool(mask & _NAMEISH),
                            bool(mask & CAT),
                            field[mask],
                        )
            return
        # all of several words ("tea" and "bag" for "tea bags"): judged by the weakest field
        lists = sorted((self._postings[t] for t in terms), key=len)
        for doc in lists[0] if within is None else within:
            masks = [found.get(doc, 0) for found in lists]
            if all(masks):
                yield (
                    doc,
                    min(mask_weight[m] for m in masks),
                    all(m & _NAMEISH for m in masks),
                    any(m & CAT for m in masks),
                    max(field[m] for m in masks),
                )

    def _slots(self, text: str) -> list[_Slot]:
        """The query's words without filler, each resolved against the index vocabulary."""
        tokens = tokenize(text)
        # "loaves of bread", "a bottle of milk": the pack is not the product ("tea bags" is)
        packs = {t for t, nxt in itertools.pairwise(tokens) if nxt == "of" and t in CONTAINER_WORDS}
        # a repeated word ("milk milk") says nothing new
        words = list(dict.fromkeys(t for t in tokens if t not in STOP_WORDS))
        words = words[:MAX_QUERY_WORDS]
        slots: list[_Slot] = []
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
        groups: Sequence[_Alt] = (),
        guesses: Sequence[int] = (),
    ) -> _Slot:
        best, sim = max(alts, key=lambda a: a[1])
        weight = self._idf.get(best, self._mean_idf) * _confidence(sim)
        if container:
            weight *= CONTAINER_WEIGHT
        return _Slot(tuple(((t,), s) for t, s in alts) + tuple(groups), weight, tuple(guesses))

    def _resolve(self, word: str, container: bool = False) -> list[_Slot]:
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
        return [_Slot((), 0.5 * self._mean_idf)]

    def _split(self, word: str) -> list[_Slot]:
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

    def _fuzzy(self, word: str) -> list[tuple[str, float, int]]:
        """Index terms spelt or sounding like ``word``, best first, with similarities and how
        each was found (``_FUZZY``: spelt alike, ``_SOUND``: only sounds alike)."""
        found: dict[str, float] = {}
        kinds: dict[str, int] = {}
        cutoff = _fuzzy_cutoff(word)
        if cutoff <= 100.0:
            for surface, score, _ in process.extract(
                word, self._choices, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=cutoff
            ):
                term = self._surface_term[surface]
                sim = 0.95 * score / 100.0
                if sim > found.get(term, 0.0):
                    found[term] = sim
                    kinds[term] = _FUZZY
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
                kinds.setdefault(term, _SOUND)  # spelt alike too: a misspelling
        if not found:
            return []
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        top = ranked[0][1]
        return [(t, s, kinds[t]) for t, s in ranked[:MAX_ALTERNATIVES] if s >= top - 0.08]


def _typicality(names: Sequence[Sequence[str]], categories: Sequence[Sequence[str]]) -> list[float]:
    """How ordinary each product is within its category, 0..1: a popularity prior.

    A retailer stocks its everyday lines in more sizes and brands than its niche ones. A name
    word weighs the share of the category's products whose names use it; a product is as
    ordinary as the mean weight of its name words (other than the category's own), relative to
    the most ordinary product of the category. Cow's milk fills most of "milk" (whole,
    semi-skimmed, skimmed in every size), oat milk a corner, so a bare "milk" lists cow's milk
    first; a category of equals ("cheese": one pack of each) stays level.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, cat in enumerate(categories):
        groups.setdefault(tuple(cat), []).append(i)
    out = [1.0] * len(names)
    for cat, members in groups.items():
        counts: dict[str, int] = {}
        for i in members:
            for w in names[i]:
                counts[w] = counts.get(w, 0) + 1
        raw: dict[int, float] = {}
        for i in members:
            shares = [counts[w] / len(members) for w in names[i] if w not in cat]
            raw[i] = sum(shares) / len(shares) if shares else 1.0
        top = max(raw.values())
        for i, value in raw.items():
            out[i] = value / top if top > 0 else 1.0
    return out


def _spelling_variants(words: Iterable[str]) -> Mapping[str, tuple[str, ...]]:
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


def _analyse(text: str, surfaces: dict[str, str]) -> tuple[list[str], list[str]]:
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
