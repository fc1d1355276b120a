"""The conversation corpus (issue 11 part 7): every script in tests/conversations/corpus/ is a
real conversation through Rasa, the action server and the commerce service, and its outcome is
read from the commerce database.

A corpus file is a list of situations; a situation's ``turns`` may hold ``{phrase}``, and each of
its ``phrasings`` makes one script. Expected state after the script (relative to a customer whose
basket, bookings and PIN failures are cleared before each script):

- ``changes: none`` — no order, booking, cancellation or basket line;
- ``orders`` / ``bookings`` / ``cancelled``: new orders placed, active bookings, orders cancelled
  (0 when not given);
- ``basket``: ``{name words: quantity}``, exactly the lines left (``{}`` empty); ``basket_lines``:
  just their number; neither: the basket stays empty;
- ``pin_failures``: wrong PINs counted (0 when not given).

``{weekday}`` in a turn is a weekday two to six days ahead (stores keep short Sunday hours), and
not Christmas Day; "tomorrow" is "the day after tomorrow" on Christmas Eve.
A turn may be ``{say: TEXT, responses: [...], reply_has: TEXT}`` to check the answer too; a turn
that starts with "add " (or has ``pick: true``) takes the first of a menu of close fits, as a
customer would.

Two figures must be 0: **wrong actions** (more orders, bookings or cancellations than the script
asked for, or a basket it did not ask for) and **dead ends** (after a way out — "cancel", a new
request — the PIN prompt or an open question remains). A script marked ``known_bug`` is played
and reported, and does not fail the test. The summary (scripts, turns, the two figures, each
failure) is written only when asked for — ``CONVERSATION_CORPUS_FIGURES=<path>``, which
``bench/bench_corpus.py`` sets to bench/results/conversation_corpus.json — so a test run leaves
the tree as it was.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from assistant.chat import ChatSession, customer_token
from assistant.dialogue import RasaDialogue
from assistant.services import Stack
from assistant.settings import ROOT
from commerce.db import Database
from commerce.seed import seeder
from commerce.services.pickups import closed_on

# The corpus gets a stack and database of its own: its 313 conversations take stock, slots and
# orders that the other end-to-end tests' scripts count on, and their state would change its.
from tests.own_stack import own_dialogue, own_shop, own_stack  # noqa: F401 - fixtures
from tests.stack import (
    STACK_START,
    Shop,
    pickup_day,
)

CORPUS = ROOT / "tests" / "conversations" / "corpus"
# Where to write the summary, when set (bench/bench_corpus.py): a plain test run writes nothing.
FIGURES_ENV = "CONVERSATION_CORPUS_FIGURES"
# The customers the corpus plays (added to the seeded ten, with their own order history), so the
# other end-to-end tests' customers are left as they were. Odd indices have the demo PIN 4321.
CORPUS_CUSTOMERS = 20
WAY_OUT = ("cancel", "stop", "never mind", "go back", "forget it", "nevermind")
ASKING = ("utter_ask_", "utter_yes_unclear", "utter_quote_readback")


@dataclass
class Script:
    name: str
    customer: str  # "pin" or "nopin": which kind of corpus customer plays it
    turns: list[dict[str, Any]]
    expect: dict[str, Any]
    known_bug: str | None = None
    way_out: bool = False  # the last turn leaves a prompt


@dataclass
class Outcome:
    script: Script
    problems: list[str] = field(default_factory=list)
    wrong_actions: list[str] = field(default_factory=list)
    dead_end: str | None = None
    turns: int = 0
    heard: list[list[str]] = field(default_factory=list)  # each turn's response keys
    kept: dict[str, int] | None = None  # the basket after turn ``same_basket_after_turn``
    first: dict[str, int] = field(default_factory=dict)  # each line's quantity when first seen


def weekday_ahead(today: date) -> str:
    """A weekday (Monday to Friday, when every store is open 08:00-20:00) two to six days after
    ``today``: what ``{weekday}`` says, so evening times hold whatever day the corpus runs."""
    day = today + timedelta(days=2)
    while day.weekday() >= 5 or closed_on(day):  # not Christmas Day either
        day += timedelta(days=1)
    return day.strftime("%A").lower()


WEEKDAY = weekday_ahead(STACK_START.date())  # the stack's clock: "friday"
# "tomorrow" in a turn, unless every store is closed tomorrow: then "the day after tomorrow"
TOMORROW = pickup_day()


def _turn(raw: Any, phrase: str | None) -> dict[str, Any]:
    turn = {"say": raw} if isinstance(raw, str) else dict(raw)
    if phrase is not None:
        turn["say"] = turn["say"].replace("{phrase}", phrase)
    turn["say"] = turn["say"].replace("{weekday}", WEEKDAY)
    if TOMORROW != "tomorrow":
        turn["say"] = re.sub(r"\btomorrow\b", TOMORROW, turn["say"])
    turn.setdefault("pick", turn["say"].lower().startswith("add "))
    return turn


def load_scripts() -> list[Script]:
    scripts: list[Script] = []
    for path in sorted(CORPUS.glob("*.yml")):
        for situation in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            phrasings = situation.get("phrasings") or [None]
            for index, phrase in enumerate(phrasings):
                turns = [_turn(t, phrase) for t in situation["turns"]]
                last = turns[-1]["say"].strip().lower()
                scripts.append(
                    Script(
                        name=f"{path.stem}/{situation['situation']}#{index}",
                        customer=situation.get("customer", "nopin"),
                        turns=turns,
                        expect=situation.get("expect") or {},
                        known_bug=situation.get("known_bug"),
                        way_out=situation.get("way_out", last.rstrip(".! ") in WAY_OUT),
                    )
                )
    return scripts


class Corpus:
    """The corpus customers and their state, reset between scripts through the database."""

    def __init__(self, stack: Stack, shop: Shop) -> None:
        self.shop = shop
        self.settings = stack.settings
        db = Database.connect(stack.settings.resolve_database_url())
        try:
            seeder.seed(db, customers=10 + CORPUS_CUSTOMERS)
        finally:
            db.dispose()
        handles = [seeder.customer_identity(10 + i)[0] for i in range(CORPUS_CUSTOMERS)]
        rows = [
            r
            for r in shop.rows("SELECT handle, home_store_id, pin_hash IS NOT NULL FROM customers")
            if r[0] in handles
        ]
        # the named-store scripts ask about riverside: nobody here lives there
        usable = [(h, pin) for h, home, pin in rows if home != "riverside"]
        self.pool = {
            "pin": [h for h, pin in usable if pin],
            "nopin": [h for h, pin in usable if not pin],
        }
        self.handles = [h for h, _ in usable]
        self.next = {"pin": 0, "nopin": 0}
        self.tokens: dict[str, str] = {}

    def customer(self, kind: str) -> str:
        pool = self.pool[kind]
        handle = pool[self.next[kind] % len(pool)]
        self.next[kind] += 1
        return handle

    def token(self, handle: str) -> str:
        if handle not in self.tokens:
            self.tokens[handle] = customer_token(self.settings, handle)
        return self.tokens[handle]

    def reset(self, handle: str) -> None:
        """Empty basket, no active booking (their slots released), no PIN failures."""
        cid = {"c": self.shop.scalar("SELECT id FROM customers WHERE handle = :h", h=handle)}
        with self.shop.db.session(write=True) as session:
            for sql in (
                "DELETE FROM basket_items WHERE customer_id = :c",
                "UPDATE pickup_slots SET booked = booked - 1 WHERE id IN (SELECT slot_id FROM "
                "pickup_bookings WHERE customer_id = :c AND status = 'active')",
                "UPDATE pickup_bookings SET status = 'cancelled' "
                "WHERE customer_id = :c AND status = 'active'",
                "UPDATE customers SET failed_pin_attempts = 0, pin_locked_until = NULL "
                "WHERE id = :c",
            ):
                session.execute(text(sql), cid)
            # what the corpus's orders took is put back, so no script meets "out of stock"
            session.execute(
                text(
                    "UPDATE stock SET quantity = 500 WHERE product_id IN (SELECT l.product_id "
                    "FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN customers c "
                    "ON c.id = o.customer_id WHERE o.quote_id IS NOT NULL AND c.handle IN "
                    "(SELECT value FROM json_each(:corpus)))"
                ),
                {"corpus": json.dumps(self.handles)},
            )

    def state(self, handle: str) -> dict[str, Any]:
        orders = self.shop.rows(
            "SELECT o.id, o.status FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE c.handle = :h AND o.quote_id IS NOT NULL",
            h=handle,
        )
        items = self.shop.basket(handle)["items"]
        return {
            "orders": {i: s for i, s in orders},
            "basket": {i["name"].lower(): i["quantity"] for i in items},
            "bookings": int(
                self.shop.scalar(
                    "SELECT count(*) FROM pickup_bookings b JOIN customers c "
                    "ON c.id = b.customer_id WHERE c.handle = :h AND b.status = 'active'",
                    h=handle,
                )
            ),
            "pin_failures": int(
                self.shop.scalar(
                    "SELECT failed_pin_attempts FROM customers WHERE handle = :h", h=handle
                )
            ),
        }


def _basket_problems(
    expected: dict[str, int], basket: dict[str, int], first: dict[str, int]
) -> list[str]:
    """What differs from the expected lines; a quantity above both the one asked for and the one
    the line first had (``first``: "six instead of twelve" giving 72) is more than asked for, a
    correction left undone is not."""
    problems: list[str] = []
    unmatched = dict(basket)
    for words, quantity in expected.items():
        keys = [n for n in unmatched if all(w in n for w in str(words).lower().split())]
        if not keys:
            problems.append(f"no basket line for {words!r}: {basket}")
            continue
        name = keys[0]
        got = unmatched.pop(name)
        if got > quantity and got > first.get(name, 0):
            problems.append(f"{name}: {got}, more than asked for ({quantity})")
        elif got != quantity:
            problems.append(f"{name}: {got}, expected {quantity}")
    if unmatched:
        problems.append(f"basket lines not asked for: {unmatched}")
    return problems


def judge(outcome: Outcome, before: dict[str, Any], after: dict[str, Any]) -> None:
    expect = outcome.script.expect
    none = expect.get("changes") == "none"
    new = [i for i in after["orders"] if i not in before["orders"]]
    placed = len(new)
    cancelled = sum(
        1
        for i, s in after["orders"].items()
        if s == "cancelled" and before["orders"].get(i, "cancelled") != "cancelled"
    ) + sum(1 for i in new if after["orders"][i] == "cancelled")
    for what, got in (
        ("orders", placed),
        ("bookings", after["bookings"]),
        ("cancelled", cancelled),
    ):
        want = 0 if none else int(expect.get(what, 0))
        if got > want:
            outcome.wrong_actions.append(f"{what}: {got}, expected {want}")
        elif got < want:
            outcome.problems.append(f"{what}: {got}, expected {want}")
    basket = after["basket"]
    if "basket" in expect and not none:
        problems = _basket_problems(expect["basket"] or {}, basket, outcome.first)
        outcome.wrong_actions.extend(p for p in problems if "asked for" in p)
        outcome.problems.extend(p for p in problems if "asked for" not in p)
    elif "basket_lines" in expect and not none:
        if expect["basket_lines"] != "any" and len(basket) != int(expect["basket_lines"]):
            outcome.problems.append(f"{len(basket)} basket lines: {basket}")
    elif basket:
        outcome.wrong_actions.append(f"basket changed: {basket}")
    kept = expect.get("same_basket_after_turn")
    if kept and outcome.kept is not None and basket != outcome.kept:
        outcome.wrong_actions.append(f"basket changed after turn {kept}: {outcome.kept} → {basket}")
    failures = after["pin_failures"] - before["pin_failures"]
    if failures != int(expect.get("pin_failures", 0)):
        outcome.wrong_actions.append(f"wrong PINs counted: {failures}")


def play(corpus: Corpus, dialogue: RasaDialogue, script: Script) -> Outcome:
    outcome = Outcome(script)
    handle = corpus.customer(script.customer)
    corpus.reset(handle)
    before = corpus.state(handle)
    chat = ChatSession(corpus.settings, dialogue, corpus.token(handle))
    answer: dict[str, Any] = {}
    for number, turn in enumerate(script.turns, start=1):
        said = turn["say"]
        answer = chat.turn(said)
        outcome.turns += 1
        outcome.heard.append(answer["responses"])
        if turn.get("pick") and answer["responses"] == ["utter_product_choices"]:
            answer = chat.turn("the first one")  # a menu of close fits: take the first
            outcome.turns += 1
            outcome.heard.append(answer["responses"])
        if "responses" in turn and answer["responses"] != turn["responses"]:
            outcome.problems.append(
                f"{said!r} → {answer['responses']}, expected {turn['responses']}"
            )
        if "reply_has" in turn and turn["reply_has"] not in " ".join(answer["replies"]):
            outcome.problems.append(f"{said!r} → {answer['replies']}, no {turn['reply_has']!r}")
        basket = corpus.state(handle)["basket"]
        for name, quantity in basket.items():
            outcome.first.setdefault(name, quantity)
        if number == script.expect.get("same_basket_after_turn"):
            outcome.kept = basket
    if script.way_out:
        pending = (dialogue.tracker(chat.sender).get("slots") or {}).get("pending")
        asking = [r for r in answer["responses"] if r and r.startswith(ASKING)]
        if chat.expecting_pin or pending or asking:
            outcome.dead_end = (
                f"after {script.turns[-1]['say']!r}: pin prompt {chat.expecting_pin}, "
                f"pending {pending!r}, {answer['responses']}"
            )
    judge(outcome, before, corpus.state(handle))
    corpus.reset(handle)  # its booking's slot is free for the next script
    return outcome


SCRIPTS = load_scripts()


def test_the_corpus_holds_enough_conversations() -> None:
    assert len(SCRIPTS) >= 300, len(SCRIPTS)
    names = [s.name for s in SCRIPTS]
    assert len(set(names)) == len(names)


@pytest.mark.timeout(900)
def test_every_script_leaves_the_expected_state(
    stack: Stack, dialogue: RasaDialogue, shop: Shop
) -> None:
    corpus = Corpus(stack, shop)
    started = time.monotonic()
    outcomes = [play(corpus, dialogue, s) for s in SCRIPTS]
    seconds = round(time.monotonic() - started, 1)

    def entry(o: Outcome) -> dict[str, Any]:
        return {
            "script": o.script.name,
            "turns": [t["say"] for t in o.script.turns],
            "responses": o.heard,
            "problems": o.problems,
            "wrong_actions": o.wrong_actions,
            "dead_end": o.dead_end,
            **({"known_bug": o.script.known_bug} if o.script.known_bug else {}),
        }

    bad = [o for o in outcomes if o.problems or o.wrong_actions or o.dead_end]
    counted = [o for o in outcomes if not o.script.known_bug]
    summary = {
        "scripts": len(outcomes),
        "turns": sum(o.turns for o in outcomes),
        "seconds": seconds,
        "wrong_actions": sum(len(o.wrong_actions) for o in counted),
        "dead_ends": sum(1 for o in counted if o.dead_end),
        "known_bugs": sum(1 for o in outcomes if o.script.known_bug),
        "known_bugs_still_failing": sum(1 for o in bad if o.script.known_bug),
        "failures": [entry(o) for o in bad if not o.script.known_bug],
        "known": [entry(o) for o in outcomes if o.script.known_bug],
    }
    figures = os.environ.get(FIGURES_ENV)
    if figures:
        path = Path(figures)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert summary["wrong_actions"] == 0, summary["failures"]
    assert summary["dead_ends"] == 0, summary["failures"]
    assert summary["failures"] == [], summary["failures"]
