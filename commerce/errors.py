"""The service's errors: a stable ``code``, a short ``message``, the HTTP status it answers
with and what a caller can act on. The API answers them as
``{"error": {"code": ..., "message": ..., **details}}``."""

from __future__ import annotations

from typing import Any


class CommerceError(Exception):
    """The catalog & order service refused or failed a request.

    ``status`` is the HTTP status the service answers with; ``details`` carries what a caller
    can act on (the free slots nearest a full one, the products out of stock).
    """

    def __init__(
        self, code: str, message: str, status: int = 400, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled whole: an error raised in a worker process reaches its caller
        return (type(self), (self.code, self.message, self.status, self.details))

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}
