"""`run_assistant.py serve` and two `run_assistant.py device` clients, as a person would run
them: separate processes, talking at once; the baskets are read back from the database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.services import free_port
from assistant.settings import ROOT, Settings
from audio import formats, synthetic
from tests.stack import Shop, settings_on_a_copy

pytestmark = pytest.mark.slow


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # the project's own entry point
        [sys.executable, str(ROOT / "run_assistant.py"), *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points the CLI at ``settings``' private stack (ports, database)."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.commerce.database_url,
        "COMMERCE_PORT": str(settings.commerce.port),
        "RASA_URL": settings.dialogue.rasa_url,
        "ACTION_SERVER_URL": settings.dialogue.action_url,
        "RASA_ENDPOINTS": settings.dialogue.endpoints,
    }
    env.pop("RASA_AUTH_TOKEN", None)
    return env


def events(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_serve_and_two_device_clients_hold_two_conversations_at_once(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    settings = settings_on_a_copy(seeded_sqlite_template, tmp_path)
    env = cli_env(settings)
    tokens = {}
    for customer in ("alice", "bob"):
        added = subprocess.run(
            [sys.executable, str(ROOT / "run_assistant.py"), "catalog", "device", "add",
             "--home", customer],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        tokens[customer] = json.loads(added.stdout)["token"]
    milk = tmp_path / "milk.wav"
    spoken = synthetic.synthesize("okay nabu, add two pints of milk", "kal", tmp_path)
    formats.write_wav(milk, formats.join([formats.silence(300), spoken, formats.silence(900)]))
    first = tmp_path / "first.wav"
    formats.write_wav(first, synthetic.synthesize("the first one", "kal", tmp_path))

    port = free_port()
    server = cli("serve", "--port", str(port), env=env)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, server.communicate()[1][-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not come up in 5 minutes"
            time.sleep(1)
        url = f"ws://127.0.0.1:{port}/v1/stream"
        alice = cli("device", "--url", url, "--token", tokens["alice"], "--wav", str(milk),
                    str(first), "--reply-audio", env=env)  # fmt: skip
        bob = cli("device", "--url", url, "--token", tokens["bob"], "--text",
                  "add a dozen eggs", "the first one", env=env)  # fmt: skip
        alice_out, alice_err = alice.communicate(timeout=240)
        bob_out, bob_err = bob.communicate(timeout=240)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    assert alice.returncode == 0, alice_err[-2000:]
    assert bob.returncode == 0, bob_err[-2000:]
    alice_events, bob_events = events(alice_out), events(bob_out)
    assert alice_events[0]["type"] == "ready"
    heard = [str(e["text"]) for e in alice_events if e.get("type") == "transcript"]
    assert "milk" in heard[0], heard
    assert any(e.get("type") == "reply_audio" for e in alice_events), "the reply was saved"
    assert (tmp_path / "milk.reply.wav").exists()
    intents = [e["intent"] for e in bob_events if e.get("type") == "turn_done"]
    assert intents[0] == "add_to_basket", bob_events
    shop = Shop(settings)
    try:
        alice_basket = [i["name"].lower() for i in shop.basket("alice")["items"]]
        bob_basket = [i["name"].lower() for i in shop.basket("bob")["items"]]
    finally:
        shop.db.dispose()
    assert any("milk" in n for n in alice_basket), alice_basket
    assert any("egg" in n for n in bob_basket), bob_basket
    assert not any("egg" in n for n in alice_basket)
    assert not any("milk" in n for n in bob_basket)
    assert "milk" not in bob_out, "nothing of alice's session reached bob's device"
