"""The gateway's ASGI app (the kiosk page, ``/health``, the ``/v1/stream`` WebSocket), TLS and
start-up (``run_assistant.py serve``).

The event loop only moves frames: a connection's reader puts audio and control messages into
its session's bounded inbox (waiting, its socket unread, while it is full) and a writer drains
the session's bounded outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse

from assistant.channels import protocol
from assistant.channels.gateway.admission import Gateway
from assistant.channels.gateway.directory import DeviceDirectory
from assistant.channels.gateway.link import REPLAY, Control
from assistant.channels.gateway.resumable import build_keeper
from assistant.channels.gateway.session import Session
from assistant.channels.gateway.speech import Outgoing, SpeechParts
from assistant.channels.protocol import GatewayError
from assistant.dialogue import RasaDialogue
from assistant.erasures import ErasureFeed, ErasureWatcher, erase_conversations
from assistant.errors import CommerceError, ConfigError
from assistant.settings import Settings
from audio.base import RATE, WIDTH
from audio.stt_processes import ProcessTranscriber
from audio.tts import QueueSpeaker

log = logging.getLogger(__name__)

KIOSK_PAGE = Path(__file__).resolve().parent.parent / "kiosk"
MAX_FRAME_BYTES = RATE * WIDTH  # one second of audio per binary frame at most
OUTBOX_MESSAGES = 256
HELLO_TIMEOUT_S = 10


def create_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(title="Voice gateway", docs_url=None, redoc_url=None)

    @app.get("/")
    def kiosk_page() -> FileResponse:
        return FileResponse(KIOSK_PAGE / "index.html")

    @app.get("/kiosk/{name}")
    def kiosk_asset(name: str) -> Any:
        path = None if "\x00" in name else (KIOSK_PAGE / name).resolve()  # no NUL in a path
        if path is None or path.parent != KIOSK_PAGE or not path.is_file():
            return JSONResponse({"error": {"code": "not-found"}}, status_code=404)
        return FileResponse(path)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "sessions": len(gateway.sessions)}

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        await ws.accept()
        session = await _handshake(ws, gateway)
        if session is None:
            return
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=OUTBOX_MESSAGES)

        def send(message: Outgoing) -> None:  # from the session's worker thread
            future = asyncio.run_coroutine_threadsafe(outbox.put(message), loop)
            try:
                future.result(timeout=30)  # a slow reader makes its own session wait
            except Exception:
                future.cancel()

        def kick() -> None:  # from another thread: a resume takes the session over
            taken = GatewayError(
                "session-resumed", "The session continues on another connection.", 4409
            )
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                asyncio.run_coroutine_threadsafe(_refuse(ws, taken), loop)

        connection = gateway.attach(session, send, kick)
        writer = asyncio.create_task(_write(ws, outbox))
        try:
            await ws.send_text(protocol.encode(session.hello()))
            if session.replay_due:  # resumed from another gateway process
                session.replay_due = False
                await _put(session, REPLAY)
            await _read(ws, session, connection)
        finally:
            gateway.detached(session, connection)
            with contextlib.suppress(asyncio.QueueFull):
                outbox.put_nowait(None)
            writer.cancel()

    return app


def _address(ws: WebSocket) -> str:
    return ws.client.host if ws.client else "unknown"


async def _handshake(ws: WebSocket, gateway: Gateway) -> Session | None:
    address = _address(ws)
    wait_s = gateway.hello_limit.retry_after(address)
    if wait_s:  # its hello is read (a device sends one before it listens), not checked
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.receive(), timeout=HELLO_TIMEOUT_S)
        await _refuse(
            ws,
            GatewayError(
                "rate-limited",
                f"Too many failed hellos from {address}; try again in {int(wait_s) + 1} s.",
                4429,
            ),
        )
        return None
    try:
        return await _hello(ws, gateway)
    except (TimeoutError, KeyError, ValueError, TypeError):
        error = GatewayError("hello-expected", "First send {type: hello, token: ...}.", 4400)
    except WebSocketDisconnect:
        return None
    except GatewayError as err:
        error = err
    except CommerceError as err:
        error = GatewayError(err.code, err.message, 4401 if err.status == 401 else 1011)
    if error.code not in ("gateway-full", "device-busy", "service-unavailable"):
        gateway.hello_limit.failed(address)  # no hello, a bad one or a bad token
    await _refuse(ws, error)
    return None


async def _hello(ws: WebSocket, gateway: Gateway) -> Session:
    raw = await asyncio.wait_for(ws.receive_text(), timeout=HELLO_TIMEOUT_S)
    hello = protocol.decode_hello(raw)
    return await asyncio.to_thread(gateway.open_session, hello.token, hello.resume)


async def _refuse(ws: WebSocket, err: GatewayError) -> None:
    try:
        await ws.send_text(protocol.encode(protocol.Error.of(err)))
        await ws.close(code=err.close or 4400)
    except Exception:  # the device is already gone
        log.debug("could not tell a refused device why")


async def _read(ws: WebSocket, session: Session, connection: int) -> None:
    while session.connection == connection:  # until a resume takes the session over
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            if len(data) > MAX_FRAME_BYTES or len(data) % WIDTH:
                await _refuse(
                    ws,
                    GatewayError(
                        "frame-invalid",
                        f"audio frames are whole 16-bit samples, at most {MAX_FRAME_BYTES} bytes",
                        4400,
                    ),
                )
                return
            wait_s = session.pace(len(data))
            if wait_s:  # ahead of real time: read nothing more meanwhile (TCP slows it)
                await asyncio.sleep(wait_s)
            await _put(session, data)
        elif message.get("text") is not None:
            try:
                control = protocol.parse_object(message["text"])
            except GatewayError as err:  # malformed-json: the session goes on
                await ws.send_text(protocol.encode(protocol.Error.of(err)))
                continue
            await _put(session, Control(control))


async def _put(session: Session, item: Any) -> None:
    """Into the session's inbox, waiting (without reading the socket) while it is full."""
    while not session.offer(item):
        if session.closed.is_set():
            return
        await asyncio.sleep(0.02)


async def _write(ws: WebSocket, outbox: asyncio.Queue[Outgoing | None]) -> None:
    while (message := await outbox.get()) is not None:
        try:
            if isinstance(message, bytes):
                await ws.send_bytes(message)
            else:
                await ws.send_text(protocol.encode(message))
        except Exception:
            return


@dataclass(frozen=True)
class Tls:
    """The certificate and key the gateway serves https / wss with."""

    cert: Path
    key: Path

    @classmethod
    def from_args(cls, cert: Path | None, key: Path | None) -> Tls | None:
        """From ``--tls-cert`` / ``--tls-key``: both or neither, and both readable."""
        if cert is None and key is None:
            return None
        if cert is None or key is None:
            raise ConfigError("config-invalid", "Give --tls-cert and --tls-key together.")
        for path in (cert, key):
            if not path.is_file():
                raise ConfigError("config-invalid", f"{path} is not a readable file.")
        return cls(cert, key)


def serve(
    settings: Settings,
    host: str,
    port: int,
    idle_timeout_s: float = 120.0,
    tls: Tls | None = None,
) -> None:
    """`run_assistant.py serve`: start what is needed, then the gateway (until Ctrl-C)."""
    from assistant.services import running
    from assistant.training import train

    _exit_on_sigterm()
    train(settings)
    ws, http = ("wss", "https") if tls else ("ws", "http")
    with running(settings) as stack:
        print(
            f"Voice gateway on {ws}://{host}:{port}/v1/stream, kiosk page {http}://{host}:{port}/ "
            "(add a device: run_assistant.py catalog device add --home alice | --kiosk STORE)",
            flush=True,
        )
        serve_gateway(stack.settings, host, port, idle_timeout_s, tls)


def serve_gateway(
    settings: Settings,
    host: str,
    port: int,
    idle_timeout_s: float = 120.0,
    tls: Tls | None = None,
) -> None:
    """The gateway alone, in front of a running commerce service, Rasa and action server
    (``settings`` says where they are); until Ctrl-C or SIGTERM. The load benchmark runs it in
    a process of its own."""
    import uvicorn

    from assistant import speech as factory
    from audio.tts import CollectingSink

    _exit_on_sigterm()
    speaker = factory.build_speaker(settings, sink=CollectingSink())
    gateway = build_gateway(settings, speaker, idle_timeout_s)
    try:
        uvicorn.run(
            create_app(gateway),
            host=host,
            port=port,
            log_level="warning",
            ws_per_message_deflate=False,  # PCM hardly compresses; deflate costs CPU per frame
            timeout_graceful_shutdown=2,  # SIGTERM: connections get 2 s, then the sessions end
            ssl_certfile=str(tls.cert) if tls else None,
            ssl_keyfile=str(tls.key) if tls else None,
        )
    finally:
        close_gateway(gateway)
        speaker.close()


def _exit_on_sigterm() -> None:
    """SIGTERM unwinds the process like Ctrl-C: sessions end (home tokens revoked) and the
    services stop. uvicorn stops serving on SIGTERM and then raises it again with this handler
    in place; with the default one the process would die before any ``finally``."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))


def build_gateway(
    settings: Settings, speaker: QueueSpeaker | None, idle_timeout_s: float = 120.0
) -> Gateway:
    """A gateway talking to the services ``settings`` names, speaking with ``speaker``."""
    from assistant import speech as factory
    from audio.wakeword import MicroWakeWordDetector

    directory = DeviceDirectory(settings.commerce.base_url)
    dialogue = RasaDialogue.of(settings.dialogue, timeout_s=30.0)
    dialogue.warm_up()  # before the first device, as the recognisers below warm up
    # One recogniser for every session, its decoders loaded in advance, so a session that
    # starts loads no model. It runs in worker processes, one per core: pocketsphinx holds
    # the interpreter lock while it decodes, so in one process customers talking at once
    # would wait for each other.
    if settings.speech.shop_lm or settings.speech.correction:
        factory.shop_model(settings)  # built once here, not by every worker at once
    transcriber = ProcessTranscriber(
        factory.speech_setup(settings),
        settings.speech.decode_processes or None,
        sessions=settings.gateway.max_sessions,
    )
    speech = SpeechParts(
        lambda: transcriber,
        lambda: factory.build_endpointer(settings),
        speaker,
        close=transcriber.close,
        wake_word_factory=lambda: MicroWakeWordDetector.from_settings(
            settings.speech, settings.root
        ),
    )
    MicroWakeWordDetector.from_settings(settings.speech, settings.root)  # a missing model: now
    g = settings.gateway
    gateway = Gateway(
        settings,
        directory,
        dialogue,
        speech,
        idle_timeout_s=idle_timeout_s,
        max_sessions=g.max_sessions,
        kiosk_seats=g.kiosk_seats,
        keeper=build_keeper(g),  # Redis when sessions_url names one; sealed kiosk customers
    )
    if g.sessions_url and not g.sessions_key:
        log.warning("no gateway.sessions_key: kiosks resume signed out on another gateway")
    if g.erasure_poll_s and settings.commerce.operator_token:
        gateway.erasures = ErasureWatcher(
            ErasureFeed(settings), lambda subject: erase(gateway, subject), g.erasure_poll_s
        ).start()
    return gateway


def erase(gateway: Gateway, subject: str) -> None:
    """An erased customer (``DELETE /v1/me``): their sessions here and their resumable
    states go, then their conversations (``assistant/erasures.py``)."""
    gateway.forget_subject(subject)
    erase_conversations(gateway.settings, subject)


def close_gateway(gateway: Gateway) -> None:
    """Sign out and end every session, then close the gateway's clients."""
    gateway.close()
    gateway.dialogue.close()
    gateway.directory.close()
    if gateway.speech.close is not None:
        gateway.speech.close()
