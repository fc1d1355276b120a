"""How the product search index ranks products for a query.

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
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz

from commerce.search_fields import BRAND, CAT, DEPT, MATCH_KINDS, NAME, SYN, SearchDoc, SearchHit
from commerce.search_words import QueryWords
from commerce.text import SizeHint, extract_size_hint, size_closeness

# The weight of a match in each field, by a posting's field bits.
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
class DocInfo:
    sku_rank: float  # position by SKU (a product patched in later sits between two)
    name_len: int
    cat_len: int
    head: str
    cat_head: str
    name_key: str  # canonical name terms joined by spaces, for the rapidfuzz re-rank
    size: SizeHint | None
    typical: float  # 0..1, see typicality


def rank(
    query: str,
    limit: int,
    words: QueryWords,
    postings: Mapping[str, Mapping[int, int]],
    infos: Sequence[DocInfo],
    docs: Sequence[SearchDoc | None],
    live: int,
) -> list[SearchHit]:
    """The best ``limit`` products for ``query`` of an index's ``postings`` (term -> {slot:
    field bits}), with each slot's ranking facts (``infos``) and product (``docs``, None where
    a patch removed it); ``words`` resolves the query's words against the index."""
    if not isinstance(query, str) or limit <= 0 or not live:
        return []
    text, hint = extract_size_hint(query[:MAX_QUERY_CHARS])
    slots = words.slots(text)
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
    common = COMMON_SHARE * live
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
            for doc, weight, in_name, in_cat, field in _matches(postings, terms, within):
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
    infos = infos
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
        ranked.append((final, _sku(docs, doc), doc))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    if not ranked:
        return []
    floor = ranked[0][0] * MIN_RELATIVE
    return [
        SearchHit(_product_id(docs, doc), sku, final, MATCH_KINDS[how[doc]])
        for final, sku, doc in ranked[:limit]
        if final >= floor
    ]


def _matches(
    postings: Mapping[str, Mapping[int, int]],
    terms: tuple[str, ...],
    within: Mapping[int, float] | None,
) -> Iterator[tuple[int, float, bool, bool, int]]:
    """(product, field weight, in its name, in its category, the surest field's rank into
    MATCH_KINDS) of products with all ``terms``.

    With ``within``, only those products are looked at (a common word, see ``_search``).
    """
    mask_weight, field = _MASK_WEIGHT, _FIELD_RANK
    if len(terms) == 1:
        found = postings[terms[0]]
        pairs = found.items() if within is None else ((d, found.get(d, 0)) for d in within)
        for doc, mask in pairs:
            if mask:
                yield doc, mask_weight[mask], bool(mask & _NAMEISH), bool(mask & CAT), field[mask]
        return
    # all of several words ("tea" and "bag" for "tea bags"): judged by the weakest field
    lists = sorted((postings[t] for t in terms), key=len)
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


def _sku(docs: Sequence[SearchDoc | None], slot: int) -> str:
    doc = docs[slot]
    return doc.sku if doc is not None else ""


def _product_id(docs: Sequence[SearchDoc | None], slot: int) -> int:
    doc = docs[slot]
    return doc.product_id if doc is not None else -1


def typicality(names: Sequence[Sequence[str]], categories: Sequence[Sequence[str]]) -> list[float]:
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
