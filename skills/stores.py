"""Stores: where a store is ("where is the riverside store?", "what's the address of old
town?"), which one is nearest ("which store is nearest?", "where's my closest Greenleaf?") and
which ones have a product on the shelf ("which store has oat milk in stock?").

A store the customer names is the one answered for (or questioned: "I don't know a store
called ..."); without a name, "where is the store" is the conversation's store. "Nearest" is
measured by the commerce service from the customer's home address
(``GET /v1/me/stores/nearest``; from their home store when the account has none), and at a
kiosk from the kiosk's own store (``GET /v1/stores?near=``): "you're at Riverside; the next
nearest is Old Town, 1.2 miles away". Distances are said in miles.

"Which store has oat milk" names the stores that have it with how many are on the shelf,
nearest first (from home, or from the kiosk), then those that have none
(``GET /v1/me/stores/nearest?has_sku=``, ``GET /v1/stores?has_sku=&near=``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from skills import speech
from skills.base import AtPrompt, SkillAction, Turn, store_for
from skills.contract import Store, StoresWith
from skills.phrases import item_phrases
from skills.search import distinct, named

NEAREST = re.compile(
    r"\b(nearest|closest|nearby|near me|near here|near us|close to me|close by|closer"
    r"|nearer|round here|around here|local|how far|distance|which (?:store|shop|branch|one)"
    r" should i (?:go|use))\b"
)

# "Where are your stores?": every store, not one
EVERY = re.compile(r"\b(stores|shops|branches|locations|supermarkets)\b")


def measured(stores: Iterable[Store]) -> list[tuple[Store, float]]:
    """The stores with a distance (a store without a place has none), and that distance."""
    return [(s, km) for s in stores if (km := s.get("distance_km")) is not None]


def nearest_from_home(turn: Turn) -> None:
    found = turn.client.nearest_stores()
    stores = measured(found["stores"])
    if not stores:
        home = turn.client.store(turn.store_id())
        turn.say("utter_store_address", store=home["name"], address=home["address"])
        return
    first, km = stores[0]
    if found["measured_from"] == "home":
        turn.say(
            "utter_nearest_store",
            store=first["name"],
            distance=speech.distance(km),
            address=first["address"],
        )
        if len(stores) > 1:
            second, km = stores[1]
            turn.say("utter_next_nearest_store", store=second["name"], distance=speech.distance(km))
        return
    # no home address: the home store, then the one nearest it
    turn.say("utter_home_store_address", store=first["name"], address=first["address"])
    if len(stores) > 1:
        second, km = stores[1]
        turn.say("utter_next_nearest_store", store=second["name"], distance=speech.distance(km))


def at_kiosk(turn: Turn) -> str | None:
    """The kiosk's own store: a kiosk (whose orders need a touch) stands in its store; a home
    device's metadata names the home store, which is not where the customer is."""
    if turn.metadata.get("confirm_by") == "touch" and turn.metadata.get("store_id"):
        return str(turn.metadata["store_id"])
    return None


def nearest_from_kiosk(turn: Turn, store_id: str) -> None:
    here = turn.client.store(store_id)
    turn.say("utter_you_are_at_store", store=here["name"], address=here["address"])
    if here.get("latitude") is None or here.get("longitude") is None:
        return
    near = turn.client.stores(near=f"{here['latitude']},{here['longitude']}")
    others = [(s, km) for s, km in measured(near) if s["store_id"] != store_id]
    if others:
        other, km = others[0]
        turn.say("utter_next_nearest_store", store=other["name"], distance=speech.distance(km))


class ActionStoreLocation(SkillAction):
    """A store's address, or the nearest store. A question on the side: a yes/no question
    stays open (the PIN prompt does not)."""

    action_name = "action_store_location"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        text = turn.text.lower()
        named = turn.entity("store")
        if NEAREST.search(text) and not named:
            kiosk = at_kiosk(turn)
            if kiosk is not None:
                nearest_from_kiosk(turn, kiosk)
            else:
                nearest_from_home(turn)
            return []
        if EVERY.search(text) and not named:
            stores = turn.client.stores()
            turn.say(
                "utter_store_list",
                count=len(stores),
                stores=speech.join_and(f"{s['name']} at {s['address']}" for s in stores),
            )
            return []
        store = store_for(turn)  # the one named (or questioned), else the conversation's
        if store is None:
            return []
        turn.say("utter_store_address", store=store["name"], address=store["address"])
        return []


def having(turn: Turn, sku: str) -> StoresWith:
    """The stores that have ``sku``, nearest first: from the kiosk, else from home."""
    kiosk = at_kiosk(turn)
    if kiosk is not None:
        here = turn.client.store(kiosk)
        if here.get("latitude") is not None and here.get("longitude") is not None:
            return turn.client.stores_with(sku, near=f"{here['latitude']},{here['longitude']}")
    return turn.client.nearest_stores_with(sku)


def on_the_shelf(store: Store, kiosk: str | None) -> str:
    """ "Greenleaf Old Town (12 on the shelf, 0.8 miles away)"; "(…, here)" at its kiosk."""
    stock = store.get("stock")
    count = stock["quantity"] if stock else 0
    km = store.get("distance_km")
    away = f", {speech.distance(km)} away" if km is not None else ""
    if store["store_id"] == kiosk:
        away = ", here"
    return f"{store['name']} ({count} on the shelf{away})"


class ActionWhichStoreHas(SkillAction):
    """ "Which store has oat milk in stock?": the stores that have it, with how many, nearest
    first, then those that have none. A question on the side (a yes/no stays open)."""

    action_name = "action_which_store_has"
    at_prompt = AtPrompt.KEEP

    def handle(self, turn: Turn) -> list[dict[str, Any]]:
        phrases = item_phrases(turn.text, turn.tracker.latest_message.get("entities", []))
        sku = None
        if turn.entities("product") and phrases:
            results = distinct(turn.client.resolve(phrases[0], turn.store_id())["results"])
            if not results or not named(results[0]):  # never an answer about something else
                turn.say("utter_product_unknown", product=phrases[0])
                return []
            sku = results[0]["sku"]
        elif turn.slot("last_sku"):  # "which store has it": the product just added
            sku = str(turn.slot("last_sku"))
        if sku is None:
            turn.say("utter_ask_product")
            return []
        found = having(turn, sku)
        product = speech.product(found["product"] or {"name": sku})  # asked by sku: it is there
        if not found["stores"]:
            turn.say("utter_no_store_has_it", product=product)
            return []
        turn.say(
            "utter_stores_with_stock",
            product=product,
            stores=speech.join_and(on_the_shelf(s, at_kiosk(turn)) for s in found["stores"]),
        )
        have = {s["store_id"] for s in found["stores"]}
        others = [s["name"] for s in turn.client.stores() if s["store_id"] not in have]
        if others:
            turn.say("utter_stores_without_stock", stores=speech.join_and(others))
        return []
