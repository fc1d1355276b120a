"""A throwaway HTTP server on a free port of 127.0.0.1 for tests that need one (standard
library only: the skills' tests import it in Rasa's environment too)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def local_http_server(
    handler: type[http.server.BaseHTTPRequestHandler], **state: Any
) -> Iterator[Any]:
    """The server, answering with ``handler`` on a thread of its own until the block ends;
    ``state`` becomes its attributes (what the handler records or is told)."""
    server: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in state.items():
        setattr(server, name, value)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
