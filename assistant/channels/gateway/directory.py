"""The commerce service's device endpoints as the gateway uses them (``/v1/device``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from assistant.errors import CommerceError


class DeviceDirectory:
    """Who a device is and the short-lived customer tokens it may use (``/v1/device``)."""

    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        except httpx.HTTPError as err:
            raise CommerceError(
                "service-unavailable", "The shop's service is not answering.", 503
            ) from err
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            error = body.get("error") or {}
            raise CommerceError(
                error.get("code", "refused"), error.get("message", "refused"), response.status_code
            )
        result: dict[str, Any] = body
        return result

    def session(self, device_token: str) -> dict[str, Any]:
        return self._call("POST", "/v1/device/session", device_token)

    def sign_in(self, device_token: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/v1/device/sign-in", device_token, json=body)

    def guest(self, device_token: str) -> dict[str, Any]:
        return self._call("POST", "/v1/device/guest", device_token)

    def sign_out(self, device_token: str, customer_token: str) -> None:
        self._call(
            "POST", "/v1/device/sign-out", device_token, json={"customer_token": customer_token}
        )

    def basket(self, customer_token: str) -> dict[str, Any]:
        return self._call("GET", "/v1/me/basket", customer_token)

    def slots(self, store_id: str, day: date) -> list[dict[str, Any]]:
        try:
            response = self._http.get(
                f"/v1/stores/{store_id}/pickup-slots", params={"date": day.isoformat()}
            )
        except httpx.HTTPError:
            return []
        if response.status_code >= 400:
            return []
        slots: list[dict[str, Any]] = response.json().get("slots", [])
        return slots
