"""The kiosk page as a test drives it: touches, typed and spoken turns, what the screen shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.settings import ROOT

ARTIFACTS = ROOT / "var" / "test-artifacts"  # screenshots (var/ is not committed)
TURN_MS = 120_000  # one turn on 2 shared cores: speech-to-text, Rasa, actions, speech synthesis


@dataclass
class KioskPage:
    """A Playwright page on the kiosk, with what it logged on the way."""

    page: Any  # playwright.sync_api.Page (imported lazily: Playwright may be missing)
    errors: list[str] = field(default_factory=list)  # JavaScript exceptions on the page
    urls: list[str] = field(default_factory=list)  # every request and WebSocket it opened
    received: list[dict[str, Any]] = field(default_factory=list)  # the gateway's JSON messages
    sent: list[dict[str, Any]] = field(default_factory=list)  # the page's JSON messages
    audio_sent: list[int] = field(default_factory=list)  # sizes of the binary frames it sent
    audio_received: int = 0  # binary frames (reply audio) it got

    def watch(self, ws: Any) -> None:
        """Record a WebSocket's traffic (Playwright's ``page.on("websocket")``)."""
        self.urls.append(ws.url)

        def received(payload: str | bytes) -> None:
            if isinstance(payload, bytes):
                self.audio_received += 1
            else:
                self.received.append(json.loads(payload))

        def sent(payload: str | bytes) -> None:
            if isinstance(payload, bytes):
                self.audio_sent.append(len(payload))
            else:
                self.sent.append(json.loads(payload))

        ws.on("framereceived", received)
        ws.on("framesent", sent)

    def messages(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == kind]

    def turn(self, action: Callable[[], Any]) -> list[str]:
        """Do ``action`` (a touch, a typed line, the microphone) and wait for the turn to end;
        the response keys of that turn's replies."""
        before = int(self.page.get_attribute("body", "data-turns") or 0)
        replies = self.page.locator("#conversation li.assistant")
        seen = replies.count()
        action()
        self.page.wait_for_function(
            f"Number(document.body.dataset.turns) > {before}", timeout=TURN_MS
        )
        keys: list[str] = self.page.eval_on_selector_all(
            "#conversation li.assistant", "els => els.map(e => e.dataset.response || '')"
        )
        return keys[seen:]

    def type(self, text: str) -> list[str]:
        """A typed turn in the request box."""

        def send() -> None:
            self.page.fill("#text", text)
            self.page.click("#send")

        return self.turn(send)

    def talk(self) -> list[str]:
        """Tap Talk: the (fake) microphone speaks one utterance."""
        return self.turn(lambda: self.page.click("#mic"))

    def add(self, action: Callable[[], list[str]]) -> list[str]:
        """An add-to-basket turn; when the assistant offers choices, take the first."""
        responses = action()
        if "utter_product_choices" in responses:
            responses = self.type("the first one")
        return responses

    def last_said(self) -> str:
        return str(self.page.locator("#conversation li.customer .said").last.inner_text())

    def basket(self) -> dict[str, int]:
        """The basket on screen: sku -> quantity."""
        rows: list[list[Any]] = self.page.eval_on_selector_all(
            "#basket-lines tr", "rows => rows.map(r => [r.dataset.sku, Number(r.dataset.quantity)])"
        )
        return {str(sku): int(quantity) for sku, quantity in rows}

    def book_a_slot(self) -> tuple[int, str]:
        """Show the pickup times, tap the last day's first; the slot id and what the tap said."""
        self.page.click("#show-slots")
        days = self.page.locator(".slot-day")
        days.nth(1).wait_for(state="visible")  # today's, then the next day's with free slots
        # a handle, not a locator: the button read is the button tapped
        slot = days.last.locator("button.slot").first.element_handle()
        slot_id = int(slot.get_attribute("data-slot-id") or 0)
        said = str(slot.get_attribute("data-say"))
        responses = self.turn(slot.click)
        assert "utter_pickup_booked" in responses, responses
        return slot_id, said
