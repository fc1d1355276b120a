"""A kiosk's signed-in customer, sealed into its session's resumable state.

A kiosk customer's token came with their PIN, so a kiosk resuming on another gateway process
cannot get it again from the device's hello. The token (with who it belongs to and when it
expires) is sealed instead: AES-256-GCM under ``gateway.sessions_key``, a key every gateway of
the deployment shares (``deploy`` makes one up per deployment; it lives in their environment
only), bound to the session id and device (a blob moved to another session does not open).
What the store keeps is ciphertext; a seal opens only while the token it holds is valid and
for no longer than the state's own TTL after it was written. One that does not open — another
key, a changed byte, too old, or no key here — is logged with a code and the kiosk resumes
signed out, as it would without a seal: the customer signs in again, never sees an error.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from assistant.settings import session_keys

log = logging.getLogger(__name__)

VERSION = b"\x01"  # the blob's layout: version, 12-byte nonce, ciphertext and tag
NONCE_BYTES = 12


def new_key() -> str:
    """A fresh ``gateway.sessions_key`` (base64url of 32 random bytes)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class SealedCustomer:
    """What a kiosk needs to go on signed in: who, and the token they signed in with."""

    handle: str
    name: str
    token: str
    expires_at: str  # ISO 8601, the token's own expiry (the service's)

    def issued(self, store_id: str) -> dict[str, Any]:
        """In the shape of the service's sign-in answer (``Session.start_customer``)."""
        return {
            "customer": {"handle": self.handle, "name": self.name},
            "customer_token": self.token,
            "expires_at": self.expires_at,
            "store_id": store_id,
        }


class Sealer:
    """Seals and opens ``SealedCustomer``s under the deployment's keys."""

    def __init__(self, keys: list[bytes], max_age_s: float) -> None:
        self._keys = [AESGCM(key) for key in keys]
        self.max_age_s = max_age_s

    @classmethod
    def of(cls, value: str | None, max_age_s: float) -> Sealer | None:
        return cls(session_keys(value), max_age_s) if value else None

    @staticmethod
    def _bound(session_id: str, device_id: int) -> bytes:
        return f"gateway-session:{session_id}:{device_id}".encode()

    def seal(self, customer: SealedCustomer, session_id: str, device_id: int) -> str:
        plain = json.dumps({**customer.__dict__, "sealed_at": time.time()}).encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[0].encrypt(nonce, plain, self._bound(session_id, device_id))
        return base64.urlsafe_b64encode(VERSION + nonce + sealed).decode()

    def open(self, blob: str, session_id: str, device_id: int) -> SealedCustomer | None:
        """The customer sealed in ``blob``; None (logged with its code) when it does not open
        here or no longer holds a valid token."""
        try:
            return self._open(blob, session_id, device_id)
        except Refused as refused:
            refused.log(session_id)
            return None

    def _open(self, blob: str, session_id: str, device_id: int) -> SealedCustomer:
        try:
            raw = base64.urlsafe_b64decode(blob.encode())
        except ValueError:
            raw = b""
        if raw[:1] != VERSION or len(raw) <= 1 + NONCE_BYTES:
            raise Refused("resume-seal-invalid")
        nonce, sealed = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
        for key in self._keys:
            try:
                plain = key.decrypt(nonce, sealed, self._bound(session_id, device_id))
                break
            except InvalidTag:
                continue
        else:  # another key, a changed byte, or another session's seal
            raise Refused("resume-seal-invalid")
        try:
            fields = json.loads(plain)
            sealed_at = float(fields.pop("sealed_at"))
            customer = SealedCustomer(**fields)
            expired = datetime.fromisoformat(customer.expires_at) <= datetime.now(UTC)
        except (ValueError, TypeError, KeyError) as err:
            raise Refused("resume-seal-invalid") from err
        if expired or time.time() - sealed_at > self.max_age_s:
            raise Refused("resume-seal-expired")
        return customer


class Refused(Exception):
    """A seal that does not open here, with the code its log line names."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def log(self, session_id: str) -> None:
        log.warning("session %s resumes signed out (%s)", session_id, self.code)
