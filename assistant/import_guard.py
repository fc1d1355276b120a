"""Import skill modules with the network, file writes and commands blocked.

The project validator runs this file as a script in Rasa's environment (the action server's):

    .venv-rasa/bin/python assistant/import_guard.py ROOT skills.a skills.b ...

and reads one JSON object per line: ``{"module", "file", "line", "what"}`` for each thing a
module tried at import time (``what`` = "opens a network connection to …", "writes …", "runs
…"), or for an import that failed. ``file`` and ``line`` are the innermost place in the project
that asked. Nothing is printed for a module that imports cleanly. It imports only the standard
library before the skills (it must run on Python 3.10).
"""

from __future__ import annotations

import builtins
import importlib
import io
import json
import os
import socket
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
# Imported before the guard goes up: what these libraries do when imported is not a skill's doing.
LIBRARIES = ("rasa_sdk", "rasa_sdk.events", "rasa_sdk.executor", "requests")
WRITE_MODES = set("wax+")
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class ImportTimeIO(Exception):
    """Raised in place of the blocked call."""


class Guard:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.module = ""
        self.findings: list[dict[str, Any]] = []

    def where(self, frames: list[traceback.FrameSummary]) -> tuple[str, int]:
        """The innermost frame in the project (not this file), as (relative path, line)."""
        for frame in reversed(frames):
            path = Path(frame.filename).resolve()
            outside = not path.is_relative_to(self.root) or path == HERE
            if not outside and not any(part.startswith(".venv") for part in path.parts):
                return str(path.relative_to(self.root)), frame.lineno or 1
        return self.module.replace(".", "/") + ".py", 1

    def record(self, what: str, frames: list[traceback.FrameSummary]) -> None:
        path, line = self.where(frames)
        self.findings.append({"module": self.module, "file": path, "line": line, "what": what})

    def block(self, what: str) -> ImportTimeIO:
        self.record(what, traceback.extract_stack()[:-2])
        return ImportTimeIO(what)

    def asked_by_a_skill(self) -> bool:
        """Whether the innermost project code on the stack is a module of skills/."""
        path, _ = self.where(traceback.extract_stack())
        return path.startswith("skills/")

    def install(self) -> None:
        guard = self
        real_open = io.open
        real_os_open = os.open

        def guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if WRITE_MODES & set(mode):
                raise guard.block(f"writes {file}")
            if guard.asked_by_a_skill():
                raise guard.block(f"reads {file}")
            return real_open(file, mode, *args, **kwargs)

        def guarded_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            if flags & WRITE_FLAGS:
                raise guard.block(f"writes {path}")
            return real_os_open(path, flags, *args, **kwargs)

        def address(value: Any) -> str:
            return ":".join(map(str, value)) if isinstance(value, tuple) else str(value)

        def no_connection(sock: Any, target: Any, *args: Any) -> Any:
            raise guard.block(f"opens a network connection to {address(target)}")

        def no_lookup(host: Any, port: Any = None, *args: Any, **kwargs: Any) -> Any:
            raise guard.block(f"opens a network connection to {address((host, port))}")

        def no_create_connection(target: Any, *args: Any, **kwargs: Any) -> Any:
            raise guard.block(f"opens a network connection to {address(target)}")

        def no_commands(*args: Any, **kwargs: Any) -> Any:
            raise guard.block(f"runs {args[0] if args else 'a command'}")

        for owner, name, replacement in (
            (builtins, "open", guarded_open),
            (io, "open", guarded_open),
            (os, "open", guarded_os_open),
            (socket.socket, "connect", no_connection),
            (socket.socket, "connect_ex", no_connection),
            (socket, "getaddrinfo", no_lookup),
            (socket, "create_connection", no_create_connection),
            (subprocess, "Popen", no_commands),
            (os, "system", no_commands),
        ):
            setattr(owner, name, replacement)

    def load(self, module: str) -> None:
        self.module = module
        try:
            importlib.import_module(module)
        except BaseException as err:  # a failed import of any kind is a finding
            if not isinstance(err, ImportTimeIO):  # a blocked call is recorded already
                frames = traceback.extract_tb(err.__traceback__)
                self.record(f"fails to import: {type(err).__name__}: {err}", frames)


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve()
    # not this script's folder (assistant/ module names could shadow a library's), the project
    sys.path[:] = [str(root), *(p for p in sys.path if Path(p or ".").resolve() != HERE.parent)]
    for library in LIBRARIES:
        importlib.import_module(library)
    guard = Guard(root)
    guard.install()
    for module in argv[1:]:
        guard.load(module)
    for finding in guard.findings:
        sys.stdout.write(json.dumps(finding) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
