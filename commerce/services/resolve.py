"""One spoken basket item ("two litres of milk") -> products, each with the packs to buy.

The quantity is read first (:mod:`commerce.services.quantities`); the product words are
searched; then every candidate gets its pack count and is re-ranked by how well whole packs
cover what was asked for: packs that fit exactly win, overshoot costs (``FIT_POINTS`` for
buying double), and so do many packs (``PACK_POINTS`` a doubling), so "two litres of milk"
is one 2 L bottle, "a dozen eggs" a box of 12 and "2 bananas" two loose bananas.
"""

from __future__ import annotations

import math
from typing import Any, Final

from sqlalchemy.orm import Session

from commerce.errors import CommerceError
from commerce.services.catalog import CatalogSearch
from commerce.services.common import MAX_LINE_QUANTITY, get_store
from commerce.services.quantities import fit, parse_quantity

__all__ = ["resolve"]

CANDIDATES: Final = 60  # search hits re-ranked by fit; the catalog has up to ~60 of a kind
FIT_POINTS: Final = 20.0  # score lost by a line that buys double what was asked for
PACK_POINTS: Final = 1.5  # score lost for each doubling of the number of packs


def resolve(
    search: CatalogSearch, session: Session, q: str, store_id: str | None, limit: int
) -> dict[str, Any]:
    """Products for one spoken item, best first, each with ``packs`` to buy.

    Raises ``store-not-found`` (404) and ``quantity-out-of-range`` (422: nothing, or more
    than 99 packs of the best product); other products that would need more are left out.
    """
    if store_id is not None:
        get_store(session, store_id)
    quantity = parse_quantity(q)
    hits = search.search(session, quantity.query, store_id, max(CANDIDATES, limit))
    ranked: list[tuple[float, int, dict[str, Any]]] = []
    for position, hit in enumerate(hits):
        packs, waste = fit(quantity, float(hit["size"]), str(hit["unit"]))
        score = hit["score"] - FIT_POINTS * waste - PACK_POINTS * math.log2(packs)
        ranked.append((max(0.0, score), position, {**hit, "packs": packs}))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    if ranked and ranked[0][2]["packs"] > MAX_LINE_QUANTITY:
        raise CommerceError(
            "quantity-out-of-range",
            f"That would be {ranked[0][2]['packs']} packs; a line holds 1 to {MAX_LINE_QUANTITY}.",
            422,
            {"max_packs": MAX_LINE_QUANTITY},
        )
    ranked = [r for r in ranked if r[2]["packs"] <= MAX_LINE_QUANTITY]
    return {
        "query": q,
        "quantity": quantity.as_dict(),
        "results": [{**hit, "score": round(score, 2)} for score, _, hit in ranked[:limit]],
    }
