"""ARI's REST half: one HTTP client, a deadline on every request, errors a person can act on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from dialcrm.telephony.asterisk.config import AriConfig
from dialcrm.telephony.gateway import GatewayError

log = logging.getLogger(__name__)


class AriError(GatewayError):
    """Asterisk answered a request with an error status (its JSON carries a message)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        super().__init__(f"Asterisk refused {method} /{path}: {status} {message}")


def segment(value: str) -> str:
    """One path segment (a channel, bridge or recording name) quoted for the URL."""
    return quote(value, safe="")


class AriClient:
    """Requests to ARI's REST resources. Every request has a deadline of `request_timeout_s`:
    httpx's own timeouts bound each phase (connect, read, write, pool), and an overall deadline
    bounds a server that trickles its answer."""

    def __init__(
        self, config: AriConfig, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self.timeout_s = config.request_timeout_s
        self._http = httpx.AsyncClient(
            base_url=config.rest_url,
            auth=httpx.BasicAuth(config.user, config.password),
            timeout=httpx.Timeout(self.timeout_s),
            headers={"Accept": "application/json"},
            transport=transport,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        expect: Collection[int] = (200, 204),
    ) -> Any:
        """Send one request; the decoded JSON answer (None for 204). Raises GatewayError when
        Asterisk is unreachable, slow or refuses, AriError (with the status) for an error
        answer."""
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._http.request(
                    method,
                    path,
                    params=dict(params or {}),
                    json=dict(body) if body is not None else None,
                    timeout=self.timeout_s,
                )
        except (TimeoutError, httpx.TimeoutException):
            raise GatewayError(
                f"Asterisk did not answer {method} /{path} within {self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as error:
            raise GatewayError(
                f"Asterisk is unreachable at {self.config.url}: {error or type(error).__name__}"
            ) from None
        if response.status_code == 401:
            raise GatewayError(
                f"Asterisk refused the ARI user {self.config.user!r} (401): check "
                "ASTERISK_ARI_USER and ASTERISK_ARI_PASSWORD against ari.conf"
            )
        if response.status_code not in expect:
            raise AriError(method, path, response.status_code, _message(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise GatewayError(
                f"Asterisk answered {method} /{path} with something that is not JSON"
            ) from None

    async def close(self) -> None:
        await self._http.aclose()


def _message(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    message = payload.get("message") if isinstance(payload, dict) else None
    if isinstance(message, str):
        return message
    return response.reason_phrase
