"""In-memory product search tuned for speech-recogniser output.

The index maps normalised, lemmatised words to the products whose name, synonyms, category,
brand or department contain them (an inverted index with IDF weights). A query is cleaned of
filler words and pack sizes (:func:`commerce.text.extract_size_hint`), each remaining word is
resolved against the index vocabulary (:mod:`commerce.search_words`: exactly, as a plural/lemma
variant, as two spoken halves of one catalog word, split in two, misspelt or by sound), and
every product containing a resolved word is scored in one pass over the postings. Only the few
best candidates get the final rapidfuzz re-rank against their names.

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

An index is immutable once built, so concurrent ``search`` calls need no locking; a catalog
change makes a new index (:meth:`SearchIndex.patched`) that shares all the old one did not
change, and the caller swaps it in.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Final, Literal

from rapidfuzz import fuzz

from commerce.search_words import QueryWords, analyse
from commerce.text import SizeHint, extract_size_hint, size_closeness, size_in_base_units

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
_GUESS_RANK: Final = {kind: MATCH_KINDS.index(kind) for kind in ("fuzzy", "sound")}

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
RERANK: Final = 120  # candidates that get the rapidfuzz re-rank
MIN_RELATIVE: Final = 0.35  # drop hits scoring below this share of the best hit
COMMON_SHARE: Final = 0.1  # a query word in more than this share of products is "common"


@dataclass(frozen=True)
class _DocInfo:
    sku_rank: float  # position by SKU (a product patched in later sits between two)
    name_len: int
    cat_len: int
    head: str
    cat_head: str
    name_key: str  # canonical name terms joined by spaces, for the rapidfuzz re-rank
    size: SizeHint | None
    typical: float  # 0..1, see _typicality


def doc_fields(doc: SearchDoc) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """A product's texts by the field bit each is indexed under (a full build and a patch)."""
    synonyms = (doc.synonyms,) if isinstance(doc.synonyms, str) else doc.synonyms
    return (
        (NAME, (doc.name,)),
        (SYN, tuple(synonyms or ())),
        (CAT, (doc.category,)),
        (BRAND, (doc.brand,)),
        (DEPT, (doc.department,)),
    )


class SearchIndex:
    """Immutable search index over a catalog; ``search`` is safe to call from many threads."""

    def __init__(
        self,
        docs: Iterable[SearchDoc],
        global_synonyms: Mapping[str, Sequence[str]] = _NO_SYNONYMS,
    ) -> None:
        built: tuple[SearchDoc, ...] = tuple(docs)
        self._docs: Sequence[SearchDoc | None] = built  # None: removed by a patch
        n = len(built)
        doc_terms: list[dict[str, int]] = [{} for _ in range(n)]
        real: set[str] = set()  # words as written in the catalog (not two-word joins)
        surfaces: dict[str, str] = {}  # spelling seen -> index term, for fuzzy matching
        name_lists: list[list[str]] = []
        cat_lists: list[list[str]] = []
        sku_rank = {sku: i for i, sku in enumerate(sorted({d.sku for d in built}))}
        analysed: dict[str, tuple[list[str], list[str]]] = {}  # brands etc. repeat a lot

        for i, doc in enumerate(built):
            terms = doc_terms[i]
            name_terms: list[str] = []
            cat_terms: list[str] = []
            for bit, texts in doc_fields(doc):
                for text in texts:
                    key = str(text or "")
                    if key not in analysed:
                        analysed[key] = analyse(key, surfaces)
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
            for i, doc in enumerate(built)
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
        self._words = QueryWords(self._postings, self._idf, frozenset(real), surfaces)
        self._infos: Sequence[_DocInfo] = tuple(infos)
        # what a patch (:meth:`patched`) needs: where each product sits, the SKUs in order,
        # each category's products and the global synonyms as index terms
        self._slot: Mapping[int, int] = {d.product_id: i for i, d in enumerate(built)}
        self._skus: Sequence[str] = sorted(sku_rank)
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, cat in enumerate(cat_lists):
            groups.setdefault(tuple(cat), []).append(i)
        self._groups: Mapping[tuple[str, ...], Sequence[int]] = groups
        self._global = _global_terms(global_synonyms)
        self._live = n

    def __len__(self) -> int:
        return self._live

    def _sku(self, slot: int) -> str:
        doc = self._docs[slot]
        return doc.sku if doc is not None else ""

    def _product_id(self, slot: int) -> int:
        doc = self._docs[slot]
        return doc.product_id if doc is not None else -1

    # -- patches -------------------------------------------------------------------------------

    def patched(self, doc: SearchDoc | None, product_id: int | None = None) -> SearchIndex:
        """A new index with one product added or replaced by ``doc``, or, with ``doc`` None,
        ``product_id`` removed; this index is left as it was (searches running on it finish
        on it).

        Costs one product's words, not the catalog's: the new index shares every posting list
        the product is not in. The IDF of the product's words and the typicality of its
        category are brought up to date; other words keep the weights of the last full build
        until the next one.
        """
        pid = doc.product_id if doc is not None else product_id
        if pid is None:
            raise ValueError("patched() needs a product: a doc or a product_id")
        new = object.__new__(SearchIndex)
        new.__dict__.update(self.__dict__)
        docs = list(self._docs)
        infos = list(self._infos)
        postings = dict(self._postings)
        slots = dict(self._slot)
        groups = dict(self._groups)
        touched: set[str] = set()
        touched_groups: set[tuple[str, ...]] = set()
        surfaces: dict[str, str] = {}
        real: set[str] = set()
        old_slot = slots.get(pid)
        if old_slot is not None:  # take the old version out
            old = docs[old_slot]
            if old is not None:
                terms, _, cats, _ = self._doc_terms(old, {})
                for term in terms:
                    found = dict(postings.get(term, {}))
                    found.pop(old_slot, None)
                    if found:
                        postings[term] = found
                    else:
                        postings.pop(term, None)
                    touched.add(term)
                key = tuple(cats)
                groups[key] = [i for i in groups.get(key, ()) if i != old_slot]
                touched_groups.add(key)
            docs[old_slot] = None
            del slots[pid]
            new._live = self._live - 1
        if doc is not None:  # put the new version in, in a new slot
            slot = len(docs)
            docs.append(doc)
            slots[pid] = slot
            terms, names, cats, real = self._doc_terms(doc, surfaces)
            for term, mask in terms.items():
                found = dict(postings.get(term, {}))
                found[slot] = mask
                postings[term] = found
                touched.add(term)
            key = tuple(cats)
            groups[key] = [*groups.get(key, ()), slot]
            touched_groups.add(key)
            infos.append(
                _DocInfo(
                    sku_rank=bisect.bisect_left(self._skus, doc.sku) - 0.5,
                    name_len=max(1, len(names)),
                    cat_len=max(1, len(cats)),
                    head=names[-1] if names else "",
                    cat_head=cats[-1] if cats else "",
                    name_key=" ".join(names),
                    size=size_in_base_units(doc.size, doc.unit),
                    typical=1.0,
                )
            )
            new._live = new._live + 1
        for key in touched_groups:  # how ordinary each product of the category now is
            members = groups[key]
            if not members:
                del groups[key]
                continue
            typical = _typicality(
                [infos[i].name_key.split() for i in members], [key] * len(members)
            )
            for i, value in zip(members, typical, strict=True):
                if infos[i].typical != value:
                    infos[i] = replace(infos[i], typical=value)
        idf = dict(self._idf)
        for term in touched:
            if term in postings:
                idf[term] = math.log(1.0 + max(1, new._live) / len(postings[term]))
            else:
                idf.pop(term, None)
        new._docs, new._infos, new._postings, new._idf = docs, infos, postings, idf
        new._slot, new._groups = slots, groups
        for term in touched:
            surfaces.setdefault(term, term)  # every index term is its own spelling
        gone = frozenset(t for t in touched if t not in postings)
        new._words = self._words.patched(postings, idf, real, surfaces, gone)
        return new

    def _doc_terms(
        self, doc: SearchDoc, surfaces: dict[str, str]
    ) -> tuple[dict[str, int], list[str], list[str], set[str]]:
        """One product's index terms with their field bits (global synonyms included), its
        name words, its category words and its words as written (not joins), as a full build
        finds them."""
        terms: dict[str, int] = {}
        real: set[str] = set()
        name_terms: list[str] = []
        cat_terms: list[str] = []
        for bit, texts in doc_fields(doc):
            for text in texts:
                words, joins = analyse(str(text or ""), surfaces)
                real.update(words)
                for w in (*words, *joins):
                    terms[w] = terms.get(w, 0) | bit
                if bit == NAME:
                    name_terms.extend(w for w in words if w not in name_terms)
                elif bit == CAT:
                    cat_terms.extend(w for w in words if w not in cat_terms)
        before = dict(terms)  # a build matches global synonyms against the catalog's own words
        for spoken, meaning in self._global:
            if all(before.get(w, 0) & (NAME | SYN | CAT) for w in meaning):
                bit = SYN | CAT if all(terms.get(w, 0) & CAT for w in meaning) else SYN
                for w in spoken:
                    terms[w] = terms.get(w, 0) | bit
        return terms, name_terms, cat_terms, real

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
            key_words, key_joins = analyse(str(spoken or ""), surfaces)
            if not key_words:
                continue
            if isinstance(meanings, str):
                meanings = (meanings,)
            for meaning in meanings:
                words, _ = analyse(str(meaning or ""), {})
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
        if not isinstance(query, str) or limit <= 0 or not self._live:
            return []
        text, hint = extract_size_hint(query[:MAX_QUERY_CHARS])
        slots = self._words.slots(text)
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
        common = COMMON_SHARE * self._live
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
                guessed = None if guess is None else _GUESS_RANK[guess]
                for doc, weight, in_name, in_cat, field in self._matches(terms, within):
                    rank = field if guessed is None else guessed
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
        prelim: list[tuple[float, float, int]] = []
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
            ranked.append((final, self._sku(doc), doc))
        ranked.sort(key=lambda r: (-r[0], r[1]))
        if not ranked:
            return []
        floor = ranked[0][0] * MIN_RELATIVE
        return [
            SearchHit(self._product_id(doc), sku, final, MATCH_KINDS[how[doc]])
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


def _global_terms(
    global_synonyms: Mapping[str, Sequence[str]],
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """The global synonyms as (spoken index terms, meaning words) pairs, in a build's order."""
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for spoken, meanings in global_synonyms.items():
        key_words, key_joins = analyse(str(spoken or ""), {})
        if not key_words:
            continue
        for meaning in (meanings,) if isinstance(meanings, str) else meanings:
            words, _ = analyse(str(meaning or ""), {})
            if words:
                pairs.append(((*key_words, *key_joins), tuple(words)))
    return tuple(pairs)


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
