"""In-memory product search tuned for speech-recogniser output.

The index maps normalised, lemmatised words to the products whose name, synonyms, category,
brand or department contain them (an inverted index with IDF weights). A query is cleaned of
filler words and pack sizes (:func:`commerce.text.extract_size_hint`), each remaining word is
resolved against the index vocabulary (:mod:`commerce.search_words`: exactly, as a plural/lemma
variant, as two spoken halves of one catalog word, split in two, misspelt or by sound), and
every product containing a resolved word is scored in one pass over the postings. Only the few
best candidates get the final rapidfuzz re-rank against their names
(:mod:`commerce.search_ranking`; the products' fields: :mod:`commerce.search_fields`).

An index is immutable once built, so concurrent ``search`` calls need no locking; a catalog
change makes a new index (:meth:`SearchIndex.patched`) that shares all the old one did not
change, and the caller swaps it in.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Final

from commerce.search_fields import CAT, NAME, SYN, SearchDoc, SearchHit, doc_fields
from commerce.search_ranking import DocInfo, rank, typicality
from commerce.search_words import QueryWords, analyse
from commerce.text import size_in_base_units

__all__ = ["SearchIndex"]

_log = logging.getLogger(__name__)


_NO_SYNONYMS: Final[Mapping[str, Sequence[str]]] = MappingProxyType({})


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
        typical = typicality(name_lists, cat_lists)
        infos = [
            DocInfo(
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
        self._infos: Sequence[DocInfo] = tuple(infos)
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
                DocInfo(
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
            typical = typicality([infos[i].name_key.split() for i in members], [key] * len(members))
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
            return rank(
                query, limit, self._words, self._postings, self._infos, self._docs, self._live
            )
        except Exception:  # a search box must never fail on input; an empty answer is honest
            _log.exception("product search failed for %r", str(query)[:80])
            return []


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
