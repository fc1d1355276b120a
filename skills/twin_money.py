"""The twin's deals and loyalty points (``skills/twin.py`` builds on it): the same answers as
``GET /v1/stores/{id}/deals`` and ``GET /v1/me/loyalty``, and the same arithmetic the service
does for quotes (one deal per line, the biggest; percent off rounded half up once per line;
a point is a penny, a whole pound paid earns one)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from skills import contract as c
from skills.client import JSON
from skills.twin_catalog import TwinCatalog

# The twin's offers: flour 3 for 2 and sourdough 20% off at Riverside, a members' price on
# semi-skimmed milk at Harbour.
DEFAULT_DEALS: list[JSON] = [
    {"deal_id": 1, "store_id": "riverside", "sku": "PAN-1", "kind": "multibuy", "buy": 3, "pay": 2},
    {"deal_id": 2, "store_id": "riverside", "sku": "BAK-2", "kind": "percent", "percent": 20},
    {"deal_id": 3, "store_id": "harbour", "sku": "DAI-2", "kind": "member", "member_price": 0.95},
]


def pence(pounds: float) -> int:
    return int((Decimal(str(pounds)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pounds(cents: int) -> float:
    return float(Decimal(cents) / 100)


def title(deal: JSON) -> str:
    if deal["kind"] == "percent":
        return f"{deal['percent']}% off"
    if deal["kind"] == "multibuy":
        return f"{deal['buy']} for {deal['pay']}"
    return f"£{deal['member_price']:.2f} for members"


def saving_cents(deal: JSON, price: float, quantity: int) -> int:
    unit = pence(price)
    if deal["kind"] == "percent":
        share = Decimal(unit * quantity) * deal["percent"] / 100
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if deal["kind"] == "multibuy":
        return (quantity // deal["buy"]) * (deal["buy"] - deal["pay"]) * unit
    return max(0, unit - pence(deal["member_price"])) * quantity


class TwinMoney(TwinCatalog):
    """Deals at the twin's stores and the customer's points."""

    def __init__(self, products: list[JSON] | None = None) -> None:
        super().__init__(products)
        self.deal_list: list[JSON] = [dict(d) for d in DEFAULT_DEALS if d["sku"] in self.products]
        self.points = 420
        self.points_by_order: dict[int, tuple[int, int]] = {}  # order -> (spent, earned)

    def deals(self, store_id: str, q: str | None = None, sku: str | None = None) -> list[c.Deal]:
        self._call("deals")
        self.store(store_id)  # an unknown store is refused as the service does
        words = self._words(q or "")
        found = []
        for deal in self.deal_list:
            product = self.products[deal["sku"]]
            said = self._words(f"{product['name']} {product['category']}")
            if deal["store_id"] != store_id or (sku and deal["sku"] != sku):
                continue
            if words and not words & said:
                continue
            found.append(
                {
                    "deal_id": deal["deal_id"],
                    "store_id": store_id,
                    "kind": deal["kind"],
                    "title": title(deal),
                    "percent": deal.get("percent"),
                    "buy": deal.get("buy"),
                    "pay": deal.get("pay"),
                    "member_price": deal.get("member_price"),
                    "starts_at": "2027-06-09T00:00:00+00:00",
                    "ends_at": "2027-06-30T00:00:00+00:00",
                    "product": self._item(deal["sku"], store_id),
                }
            )
        return cast(list[c.Deal], found)

    def loyalty(self) -> c.Loyalty:
        self._call("loyalty")
        return {
            "loyalty_number": "GL10000000",
            "points": self.points,
            "value": pounds(self.points),
            "tier": "silver" if self.points >= 250 else "green",
            "next_tier": "gold" if self.points >= 250 else "silver",
            "points_to_next_tier": 750 - self.points if self.points >= 250 else 250 - self.points,
            "recent": [],
        }

    def line_saving(self, sku: str, quantity: int, store_id: str = "riverside") -> tuple[int, str]:
        """(pence the line's best deal takes off, its title) at ``store_id``."""
        best = (0, "")
        for deal in self.deal_list:
            if deal["store_id"] == store_id and deal["sku"] == sku:
                cents = saving_cents(deal, self.products[sku]["price"], quantity)
                if cents > best[0]:
                    best = (cents, title(deal))
        return best

    def quote_money(self, lines: dict[str, int], use_points: bool) -> dict[str, Any]:
        """What a quote of ``lines`` at Riverside says of deals and points, and its total."""
        subtotal = sum(pence(self.products[s]["price"]) * q for s, q in lines.items())
        savings = []
        for sku, quantity in lines.items():
            cents, deal = self.line_saving(sku, quantity)
            if cents:
                name = self.products[sku]["name"]
                savings.append({"sku": sku, "name": name, "deal": deal, "saving": pounds(cents)})
        saved = sum(pence(s["saving"]) for s in savings)
        points = max(0, min(self.points, subtotal - saved)) if use_points else 0
        return {
            "subtotal": pounds(subtotal),
            "savings": savings,
            "savings_total": pounds(saved),
            "points_used": points,
            "points_value": pounds(points),
            "points_balance": self.points,
            "total": pounds(subtotal - saved - points),
        }

    def points_placed(self, order_id: int, spent: int, paid: float) -> None:
        earned = pence(paid) // 100
        self.points += earned - spent
        self.points_by_order[order_id] = (spent, earned)

    def points_cancelled(self, order_id: int) -> None:
        spent, earned = self.points_by_order.pop(order_id, (0, 0))
        self.points += spent - earned
