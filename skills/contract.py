"""The commerce contract: what the skills may ask the catalog & order service and what it
answers, as a ``Protocol`` over the service's answer shapes (``shapes.commerce``: ``TypedDict``s,
Python 3.10, the action server's environment; re-exported here).

Two implementations: ``skills.client.CommerceClient`` (HTTP, the real service) and
``skills.twin.InMemoryCommerce`` (unit tests). ``tests/skills/test_contract.py`` runs the same
scenarios against both, so the twin cannot drift from the service. Both raise
``CommerceRefused`` (a 4xx, with the service's ``code``) and ``CommerceUnavailable``.

The shapes are written once: the service builds its response models from them
(``commerce.api.schemas``), and the skills, which run in Rasa's environment where ``commerce/``
is not imported (the service is reached over HTTP only), type their answers with them. mypy
checks ``CommerceClient`` and the twin against the ``Protocol`` (the contract test's ``shop``
returns either as a ``Commerce``), and the contract test checks the real service's answers
against the shapes.
"""

from __future__ import annotations

from typing import Protocol

from shapes.commerce import (
    Basket,
    BasketLine,
    Booking,
    BoughtTogether,
    ClosedDate,
    Customer,
    Deal,
    Erased,
    Feedback,
    FoundSlot,
    Ingredient,
    Loyalty,
    LoyaltyChange,
    Match,
    MissingLine,
    NearestStores,
    Order,
    OrderLine,
    Product,
    Purchase,
    Quantity,
    Quote,
    QuoteLine,
    QuoteSaving,
    Recipe,
    RecipeBasket,
    RecipeLine,
    RecipeSummary,
    Reorder,
    ReorderLine,
    Resolution,
    ResolvedProduct,
    Return,
    ReturnCheck,
    ReturnLine,
    SearchResult,
    Settings,
    SkippedLine,
    Slot,
    SpecialHours,
    Store,
    StoreStock,
    StoresWith,
    Substitute,
    Suggestion,
    UnavailableLine,
    UsualItem,
)


class Commerce(Protocol):
    """A customer's view of the catalog & order service."""

    # the catalog
    def search(self, q: str, store_id: str | None, limit: int = 5) -> list[SearchResult]: ...
    def resolve(self, q: str, store_id: str | None, limit: int = 5) -> Resolution: ...
    def stores(self, q: str | None = None, near: str | None = None) -> list[Store]: ...
    def store(self, store_id: str) -> Store: ...
    def find_slot(self, store_id: str, when: str) -> FoundSlot: ...
    def recipes(
        self,
        q: str | None = None,
        meal: str | None = None,
        limit: int = 3,
        diets: list[str] | None = None,
        quick: bool = False,
    ) -> list[RecipeSummary]: ...
    def recipe(self, ref: str) -> Recipe: ...

    # the customer
    def me(self) -> Customer: ...
    def basket(self, store_id: str | None = None) -> Basket: ...
    def add_item(self, sku: str, quantity: int) -> Basket: ...
    def change_item(self, sku: str, quantity: int) -> Basket: ...
    def remove_item(self, sku: str) -> Basket: ...
    def clear_basket(self) -> Basket: ...
    def nearest_stores(self) -> NearestStores: ...
    def usual(self) -> list[UsualItem]: ...
    def purchases(self, q: str | None = None, limit: int = 5) -> list[Purchase]: ...
    def reorder(self, source: str, store_id: str, skus: list[str] | None = None) -> Reorder: ...
    def recipe_to_basket(
        self, recipe: str, store_id: str, servings: int | None, have: list[str]
    ) -> RecipeBasket: ...
    def pickups(self) -> list[Booking]: ...
    def book(self, slot_id: int) -> Booking: ...
    def reschedule(self, booking_id: int, slot_id: int) -> Booking: ...
    def cancel_pickup(self, booking_id: int) -> Booking: ...
    def quote(self, store_id: str, slot_id: int, use_points: bool = False) -> Quote: ...
    def place_order(self, quote_id: str, key: str, pin_ticket: str | None = None) -> Order: ...
    def orders(self, limit: int = 5) -> list[Order]: ...
    def cancel_order(self, order_id: int) -> Order: ...
    def erase_me(self, pin_ticket: str | None = None) -> Erased: ...

    # deals and loyalty
    def deals(self, store_id: str, q: str | None = None, sku: str | None = None) -> list[Deal]: ...
    def loyalty(self) -> Loyalty: ...
    # returns in store, and telling the shop
    def check_return(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str = "payment"
    ) -> ReturnCheck: ...
    def make_return(
        self, order_id: int, sku: str, quantity: int, reason: str, refund_to: str, key: str
    ) -> Return: ...
    def returns(self, limit: int = 20) -> list[Return]: ...
    def tell_the_shop(
        self, text: str, store_id: str | None = None, sku: str | None = None
    ) -> Feedback: ...

    # which store has it, goes well with, the customer's settings
    def stores_with(self, sku: str, near: str | None = None) -> StoresWith: ...
    def nearest_stores_with(self, sku: str) -> StoresWith: ...
    def bought_together(
        self, sku: str, store_id: str | None = None, limit: int = 5
    ) -> BoughtTogether: ...
    def settings(self) -> Settings: ...
    def change_settings(self, hints: bool) -> Settings: ...
