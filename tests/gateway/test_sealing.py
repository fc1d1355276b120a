"""A kiosk's signed-in customer sealed into its session's resumable state (AES-GCM under the
deployment's ``gateway.sessions_key``): it opens on another gateway process with the same key
and resumes the kiosk signed in; another key, a changed byte, another session's seal, an
expired token or a seal past the state's TTL resumes it signed out with a log code, never an
error (on fakes: no services; the e2e test is ``test_resume_elsewhere.py``)."""

from __future__ import annotations

import base64
import logging
import queue
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assistant.channels import protocol as p
from assistant.channels.gateway.resumable import Keeper, MemoryStore, build_keeper
from assistant.channels.gateway.sealing import SealedCustomer, Sealer, new_key
from assistant.channels.gateway.session import Session
from assistant.errors import ConfigError
from assistant.settings import load_settings, session_keys
from tests.gateway.test_resumable import session_on_fakes
from tests.gateway.test_session import FakeDialogue, FakeDirectory, said

LATER = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
DAVE = SealedCustomer("dave", "Dave", "cst_secret-dave-token", LATER)
KEY = new_key()


def sealer(key: str = KEY, max_age_s: float = 180) -> Sealer:
    made = Sealer.of(key, max_age_s)
    assert made is not None
    return made


def flipped(blob: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(blob))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode()


def test_a_seal_opens_with_its_key_for_its_session_only(caplog: pytest.LogCaptureFixture) -> None:
    blob = sealer().seal(DAVE, "s1", 7)
    assert "cst_secret-dave-token" not in blob
    assert "dave" not in base64.urlsafe_b64decode(blob).decode(errors="replace")
    assert sealer().open(blob, "s1", 7) == DAVE
    rotated = sealer(f"{new_key()},{KEY}")  # a new key first: the old one still opens
    assert rotated.open(blob, "s1", 7) == DAVE
    caplog.set_level(logging.WARNING)
    refused = [
        sealer(new_key()).open(blob, "s1", 7),  # another deployment's key
        sealer().open(blob, "s2", 7),  # another session's state
        sealer().open(blob, "s1", 8),  # another device
        sealer().open(flipped(blob, 20), "s1", 7),  # a ciphertext byte changed
        sealer().open(flipped(blob, 0), "s1", 7),  # the version byte
        sealer().open(blob[:30], "s1", 7),  # cut short
        sealer().open("not base64 at all!", "s1", 7),
    ]
    assert refused == [None] * len(refused)
    codes = [r.getMessage() for r in caplog.records]
    assert len(codes) == len(refused)
    assert all(line.endswith("resumes signed out (resume-seal-invalid)") for line in codes)
    assert not any("cst_" in line or KEY in line for line in caplog.text.splitlines())


def test_a_seal_lives_no_longer_than_its_token_or_the_state(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    gone = replace(DAVE, expires_at=(datetime.now(UTC) - timedelta(seconds=1)).isoformat())
    assert sealer().open(sealer().seal(gone, "s1", 7), "s1", 7) is None
    short = sealer(max_age_s=0.2)
    blob = short.seal(DAVE, "s1", 7)
    assert short.open(blob, "s1", 7) == DAVE
    time.sleep(0.3)
    assert short.open(blob, "s1", 7) is None, "a seal older than the state's TTL"
    assert [r.getMessage().split("(")[-1] for r in caplog.records] == ["resume-seal-expired)"] * 2


def test_the_key_is_checked_and_never_shown() -> None:
    settings = load_settings(environ={"GATEWAY_SESSIONS_KEY": KEY})
    assert session_keys(settings.gateway.sessions_key or "") == [base64.urlsafe_b64decode(KEY)]
    assert KEY not in repr(settings)
    for bad in ("short", KEY[:-4], f"{KEY},nope"):
        with pytest.raises(ConfigError) as refused:
            load_settings(environ={"GATEWAY_SESSIONS_KEY": bad})
        assert bad not in refused.value.message
    assert build_keeper(load_settings(environ={}).gateway).sealer is None
    assert build_keeper(settings.gateway).sealer is not None


def kiosk(keeper: Keeper, directory: FakeDirectory, **kw: Any) -> tuple[Session, queue.Queue[Any]]:
    device = {"kind": "kiosk", "device_id": 7, "store_id": "riverside"}
    return session_on_fakes(device, keeper, directory, FakeDialogue(), **kw)


def signed_in_kiosk(store: MemoryStore, directory: FakeDirectory) -> Session:
    first, out = kiosk(Keeper(store, "gateway-a", sealer()), directory)
    got = said(first, out, type="sign_in", loyalty_number="GL-1", pin="4321")
    assert p.SignedIn(p.CustomerView("dave", "Dave")) in got, got
    said(first, out, type="text", text="say utter_quote_readback")
    first.save()
    held = repr(store._items)
    assert "tok-dave" not in held, "the token is sealed, not kept in clear"
    return first


@pytest.mark.parametrize(
    ("second_key", "code"),
    [(KEY, None), (new_key(), "resume-seal-invalid"), (None, "resume-seal-no-key")],
)
def test_a_kiosk_resumes_signed_in_on_a_gateway_with_the_key(
    second_key: str | None, code: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    store, directory = MemoryStore(), FakeDirectory()
    first = signed_in_kiosk(store, directory)
    caplog.set_level(logging.WARNING)
    keeper = Keeper(store, "gateway-b", sealer(second_key) if second_key else None)
    claimed = keeper.claim("s1", 7)
    assert claimed is not None
    second, out = kiosk(keeper, directory, restored=claimed.state)
    try:
        if code is None:
            assert second.hello().customer == p.CustomerView("dave", "Dave")
            assert second.conversation is not None
            assert first.conversation is not None
            assert second.conversation.sender == first.conversation.sender
            said(second, out, type="confirm")  # the order's touch, for dave
            assert second.conversation.metadata["customer_token"] == "tok-dave"
            assert caplog.records == []
        else:
            assert second.hello().customer is None, "signed out, as without a seal"
            assert second.customer is None
            got = said(second, out, type="text", text="say utter_ok")
            assert p.Error("sign-in-needed", "Sign in or choose guest first.") in got
            assert [r.getMessage() for r in caplog.records] == [
                f"session s1 resumes signed out ({code})"
            ]
    finally:
        first.close()
        second.close()
