"""Rasa and its action server as the assistant starts them: on 127.0.0.1 unless told otherwise,
and answering only callers that present the shared secret.

Runs in Rasa's environment (``.venv-rasa``; Python 3.10 syntax), started by
``assistant/services.py``::

    python -m assistant.rasa_servers actions [--host 127.0.0.1] [--port 5055]
    python -m assistant.rasa_servers rasa --model M --endpoints E --credentials C [--host --port]

The secrets come from the environment, never from the command line: ``ACTION_SERVER_TOKEN``
(Rasa sends it to the action server as ``Authorization: Bearer …``, see endpoints.yml) and
``RASA_AUTH_TOKEN`` (the assistant's own calls to Rasa carry it the same way). Each server
checks the header on every request but its health check, in constant time, before any handler
runs: Rasa's HTTP API and its REST channel webhook alike, and the action server's ``/webhook``
and ``/handover`` (where the front end hands each turn's customer token to the skills, so that
it never travels through Rasa). Tokens never travel in a URL, where HTTP client and access
logs would print them.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

# the names of environment variables, not secrets
ACTION_TOKEN_ENV = "ACTION_SERVER_TOKEN"  # noqa: S105
RASA_TOKEN_ENV = "RASA_AUTH_TOKEN"  # noqa: S105
UNAUTHORIZED = {"error": {"code": "auth-invalid", "message": "The shared secret is missing."}}


def require_bearer(app: Any, token: str, open_paths: Iterable[str] = ()) -> None:
    """Make the Sanic ``app`` answer 401 to any request but ``open_paths`` whose
    ``Authorization`` header is not ``Bearer <token>``."""
    from sanic import response

    if not token:
        raise ValueError("an empty token would let everyone in")
    expected = f"Bearer {token}".encode()
    unguarded = frozenset(open_paths)

    async def check_bearer(request: Any) -> Any:
        if request.path in unguarded:
            return None
        supplied = request.headers.get("authorization", "").encode("utf-8", "replace")
        if hmac.compare_digest(supplied, expected):
            return None
        return response.json(UNAUTHORIZED, status=401)

    app.register_middleware(check_bearer, "request")


def _token(name: str) -> str:
    token = os.environ.get(name, "")
    if not token:
        sys.exit(f"{name} is not set: this server answers only callers that present it")
    return token


def add_handover(app: Any) -> None:
    """``PUT /handover {"conversation", "secrets": {...}}`` and ``DELETE /handover
    {"conversation"}``: the front end hands a turn's customer token (and PIN ticket) to the
    skills directly, so that they never travel through Rasa (``skills/handover.py``). Nothing
    reads them back; the answers never repeat them."""
    from sanic import response

    from skills import handover

    def invalid(message: str) -> Any:
        return response.json({"error": {"code": "handover-invalid", "message": message}}, 422)

    async def put(request: Any) -> Any:
        body = request.json if isinstance(request.json, dict) else {}
        try:
            handover.put(body.get("conversation"), body.get("secrets"))
        except handover.HandoverInvalid as err:
            return invalid(str(err))
        return response.empty()

    async def drop(request: Any) -> Any:
        body = request.json if isinstance(request.json, dict) else {}
        try:
            handover.drop(body.get("conversation"))
        except handover.HandoverInvalid as err:
            return invalid(str(err))
        return response.empty()

    app.add_route(put, "/handover", methods=["PUT"])
    app.add_route(drop, "/handover", methods=["DELETE"])


def serve_actions(host: str, port: int) -> None:
    """rasa-sdk's action server with the skills, guarded by ``ACTION_SERVER_TOKEN``, and the
    front end's handover of each turn's secrets (``add_handover``)."""
    from rasa_sdk import utils
    from rasa_sdk.endpoint import create_app

    token = _token(ACTION_TOKEN_ENV)
    utils.configure_colored_logging(logging.INFO)
    utils.update_sanic_log_level()
    app = create_app("skills", cors_origins=None)  # no browser has any business here
    require_bearer(app, token, open_paths=("/health",))
    add_handover(app)
    logging.getLogger(__name__).info("action server on http://%s:%d", host, port)
    app.run(host, port, workers=1, access_log=False)


def serve_rasa(host: str, port: int, model: str, endpoints: str, credentials: str) -> None:
    """Rasa's server (HTTP API and the channels of ``credentials``) with the model, guarded by
    ``RASA_AUTH_TOKEN`` on every route but ``/``: what ``rasa run --enable-api`` does, with
    the token checked on the REST channel's webhook too and read from a header, not the URL."""
    import rasa.core.run
    import rasa.core.utils
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils import common, log_utils

    token = _token(RASA_TOKEN_ENV)
    common.configure_logging_and_warnings(
        logging.INFO, warn_only_once=True, filter_repeated_logs=True
    )
    rasa.utils.io.configure_colored_logging(logging.INFO)
    log_utils.configure_structlog(logging.INFO)
    tf_env.setup_tf_environment()
    available = AvailableEndpoints.read_endpoints(endpoints)
    app = rasa.core.run.configure_app(
        rasa.core.run.create_http_input_channels(None, credentials),
        cors=None,
        auth_token=None,  # checked by require_bearer on every route, Rasa's API included
        enable_api=True,
        port=port,
        endpoints=available,
    )
    require_bearer(app, token, open_paths=("/",))
    app.register_listener(
        lambda running, loop: rasa.core.run.load_agent_on_start(
            model, available, None, running, loop
        ),
        "before_server_start",
    )
    app.register_listener(rasa.core.run.close_resources, "after_server_stop")
    logging.getLogger(__name__).info("Rasa server on http://%s:%d", host, port)
    app.run(
        host=host,
        port=port,
        workers=rasa.core.utils.number_of_sanic_workers(available.lock_store),
        access_log=False,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m assistant.rasa_servers")
    commands = parser.add_subparsers(dest="command", required=True)
    actions = commands.add_parser("actions", help="the action server (skills/)")
    rasa = commands.add_parser("rasa", help="the Rasa server")
    for command, port in ((actions, 5055), (rasa, 5005)):
        command.add_argument("--host", default="127.0.0.1", help="the interface to listen on")
        command.add_argument("--port", type=int, default=port)
    rasa.add_argument("--model", required=True)
    rasa.add_argument("--endpoints", default="endpoints.yml")
    rasa.add_argument("--credentials", default="credentials.yml")
    args = parser.parse_args(argv)
    if args.command == "actions":
        serve_actions(args.host, args.port)
    else:
        serve_rasa(args.host, args.port, args.model, args.endpoints, args.credentials)


if __name__ == "__main__":
    main()
