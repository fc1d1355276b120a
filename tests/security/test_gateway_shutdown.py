"""`run_assistant.py serve` stops within seconds of SIGTERM, with devices connected and one of
them streaming faster than real time, and revokes the customer tokens of its home sessions
(read back in the commerce database)."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.channels.device import DeviceClient
from assistant.services import free_port, isolated
from assistant.settings import ROOT, load_settings
from audio import formats
from tests.conftest import service_missing
from tests.gateway.test_cli import cli_env
from tests.stack import Shop

pytestmark = pytest.mark.slow


def live_session_tokens(shop: Shop) -> int:
    """Customer tokens issued to devices that are neither revoked nor expired."""
    return int(
        shop.scalar(
            "SELECT count(*) FROM api_tokens WHERE device_id IS NOT NULL "
            "AND revoked_at IS NULL AND expires_at > CURRENT_TIMESTAMP"
        )
    )


def test_serve_stops_within_seconds_of_sigterm_and_revokes_home_tokens(
    seeded_sqlite_template: Path, tmp_path: Path
) -> None:
    if not (ROOT / ".venv-rasa" / "bin" / "rasa").exists():
        service_missing("Rasa's environment (.venv-rasa)", FileNotFoundError(".venv-rasa"))
    database = tmp_path / "commerce.db"
    shutil.copy(seeded_sqlite_template, database)
    settings = isolated(load_settings(environ={}), tmp_path, f"sqlite:///{database}")
    env = cli_env(settings)
    tokens = []
    for customer in ("alice", "bob", "carol"):
        added = subprocess.run(
            [sys.executable, str(ROOT / "run_assistant.py"), "catalog", "device", "add",
             "--home", customer],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        tokens.append(json.loads(added.stdout)["token"])
    port = free_port()
    server = subprocess.Popen(  # the project's own entry point
        [sys.executable, str(ROOT / "run_assistant.py"), "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    clients: list[DeviceClient] = []
    shop = Shop(settings)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, server.communicate()[1][-3000:]
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "serve did not come up in 5 minutes"
            time.sleep(1)
        url = f"ws://127.0.0.1:{port}/v1/stream"
        clients = [DeviceClient(url, token) for token in tokens]
        assert live_session_tokens(shop) == 3, "each home session has its customer's token"
        flooding = clients[0]
        second = formats.silence(1000).data

        def flood() -> None:  # far faster than real time, until the gateway goes
            with contextlib.suppress(Exception):
                for _ in range(600):
                    flooding.ws.send(second)

        threading.Thread(target=flood, daemon=True).start()
        time.sleep(3)  # the flood has filled what the gateway takes ahead of real time
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        took = time.monotonic() - asked
        assert took < 10, f"serve took {took:.1f} s to stop after SIGTERM"
        assert server.returncode is not None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()
    try:
        assert live_session_tokens(shop) == 0, "every home session's token was revoked"
    finally:
        shop.db.dispose()
