"""A real browser on the kiosk page: Debian's Chromium driven by Playwright, its microphone a
synthesised WAV file (Chromium's fake capture device loops it), against the test stack's
voice gateway (``gateway`` in tests/stack.py)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assistant.channels.gateway.server import KIOSK_PAGE
from audio import formats, synthetic
from tests.conftest import service_missing
from tests.gateway.schema import off_protocol
from tests.kiosk.browser import ARTIFACTS, KioskPage
from tests.stack import GatewayServer

CHROMIUM = Path(os.environ.get("KIOSK_TEST_CHROMIUM", "/usr/bin/chromium"))
VOICE = "kal"  # a festival voice: the recogniser hears it best
# As root on a machine without a display or network: no sandbox, no GPU, no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",  # allow the microphone without asking
    "--use-fake-device-for-media-stream",
]

# Playwright must never fetch a browser of its own: it drives Debian's, by path.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """Let fixtures see whether their test failed (to keep a screenshot of the page)."""
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    """Playwright's driver, once per session; fails in CI when it or Chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        service_missing("Playwright (the playwright package)", err)
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        service_missing(
            f"Chromium at {CHROMIUM} (Debian package chromium)", FileNotFoundError(str(CHROMIUM))
        )
    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def kiosk_files() -> Iterator[str]:
    """The kiosk folder served as the gateway serves it (``/`` and ``/kiosk/NAME``), without
    the stack: for tests of the page's own parts. Its base URL on 127.0.0.1."""

    class Files(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            path = path.split("?")[0].split("#")[0]
            name = "index.html" if path == "/" else path.removeprefix("/kiosk/")
            return str(KIOSK_PAGE / Path(name).name)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, name="kiosk-files", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(playwright: Any) -> Iterator[Any]:
    """A headless Chromium (no fake microphone)."""
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def kiosk_url(gateway: GatewayServer) -> str:
    """The page of a kiosk registered for the riverside store, its token in the fragment."""
    token = gateway.add_device(kiosk="riverside")
    return f"{gateway.http}/#token={token}"


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kiosk-speech")


@pytest.fixture
def microphone(speech_cache: Path) -> Callable[[str | None], Path]:
    """A WAV for the fake microphone: ``text`` spoken (None: silence), then a long pause.

    Chromium loops the file; the pause gives the page time to stop listening after the one
    utterance (the kiosk listens for one utterance per tap of Talk).
    """

    def make(text: str | None) -> Path:
        parts = [formats.silence(500)]
        if text is not None:
            parts.append(synthetic.synthesize(text, voice=VOICE, cache=speech_cache))
        parts.append(formats.silence(9000))
        name = "silence" if text is None else "-".join(text.split())
        path = speech_cache / f"mic-{name}.wav"
        formats.write_wav(path, formats.join(parts))
        return path

    return make


@pytest.fixture
def open_kiosk(
    playwright: Any, kiosk_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[Path], KioskPage]]:
    """Open the kiosk page in a new headless Chromium whose microphone plays ``wav``; at the
    end, every message it sent and got is checked against the protocol's JSON schema."""
    browsers: list[Any] = []
    opened: list[KioskPage] = []

    def open_page(wav: Path) -> KioskPage:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"],
            timeout=60_000,
        )
        browsers.append(browser)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        # the page's clock is the stack's (this test runs on it): its "today" and "tomorrow"
        page.clock.set_system_time(datetime.now(UTC))
        kiosk = KioskPage(page)
        page.on("pageerror", lambda err: kiosk.errors.append(str(err)))
        page.on("request", lambda req: kiosk.urls.append(req.url))
        page.on("websocket", kiosk.watch)
        page.goto(kiosk_url)
        opened.append(kiosk)
        return kiosk

    yield open_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for n, kiosk in enumerate(opened):
            name = f"kiosk-failed-{request.node.name}-{n}"
            kiosk.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            sent = [{**m, "token": "…"} if "token" in m else m for m in kiosk.sent]
            log = {"sent": sent, "received": kiosk.received, "errors": kiosk.errors}
            (ARTIFACTS / f"{name}.json").write_text(json.dumps(log, indent=1))
    for browser in browsers:
        browser.close()
    for kiosk in opened:  # what the page said and was told is the protocol's, field by field
        assert kiosk.sent, "the page said hello"
        assert kiosk.received, "the gateway answered"
        assert not off_protocol("DeviceMessage", kiosk.sent), "the page sent off-protocol"
        assert not off_protocol("GatewayMessage", kiosk.received), "it got off-protocol"
