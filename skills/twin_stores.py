"""The twin's side of issue 15's calls: which store has it (its stores' stock), what goes well
with a product (pairs a test sets, ``together``) and the customer's settings (``hints``)."""

from __future__ import annotations

from copy import deepcopy
from typing import cast

from skills import contract as c
from skills.client import JSON, CommerceRefused
from skills.twin_catalog import TwinCatalog

# What goes with what: sku -> [(sku, lift, confidence, orders, customers)]. None by default
# (the basket's tests add without suggestions); a test sets ``shop.together``.
Pairs = dict[str, list[tuple[str, float, float, int, int]]]


class TwinStores(TwinCatalog):
    def __init__(self, products: list[JSON] | None = None) -> None:
        super().__init__(products)
        self.together: Pairs = {}
        self.hints = True

    def _shelf(self, store_id: str, sku: str) -> int:
        return self.store_stock.get(store_id, {}).get(sku, self.stock.get(sku, 0))

    def _with(self, stores: list[c.Store], sku: str) -> c.StoresWith:
        if sku not in self.products:
            raise CommerceRefused(404, "product-not-found", sku, {})
        having = [
            {**s, "stock": {"sku": sku, "quantity": self._shelf(s["store_id"], sku)}}
            for s in stores
            if self._shelf(s["store_id"], sku) > 0
        ]
        product = cast(c.Product, deepcopy(self.products[sku]))
        return {"product": product, "stores": cast(list[c.Store], having)}

    def stores_with(self, sku: str, near: str | None = None) -> c.StoresWith:
        return self._with(self.stores(near=near), sku)

    def nearest_stores_with(self, sku: str) -> c.StoresWith:
        near = self.nearest_stores()
        return {**self._with(near["stores"], sku), "measured_from": near["measured_from"]}

    def bought_together(
        self, sku: str, store_id: str | None = None, limit: int = 5
    ) -> c.BoughtTogether:
        self._call("bought_together")
        if sku not in self.products:
            raise CommerceRefused(404, "product-not-found", sku, {})
        suggestions = [
            cast(
                c.Suggestion,
                {
                    **self._item(other, store_id),
                    **({} if store_id else {"in_stock": None}),
                    "lift": lift,
                    "confidence": confidence,
                    "orders": orders,
                    "customers": customers,
                },
            )
            for other, lift, confidence, orders, customers in self.together.get(sku, [])[:limit]
        ]
        orders_with = max((s["orders"] for s in suggestions), default=0)
        product = cast(c.Product, deepcopy(self.products[sku]))
        return {"product": product, "orders": orders_with, "suggestions": suggestions}

    def settings(self) -> c.Settings:
        self._call("settings")
        return {"hints": self.hints}

    def change_settings(self, hints: bool) -> c.Settings:
        self._call("change_settings")
        self.hints = hints
        return {"hints": self.hints}
