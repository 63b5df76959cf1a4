"""A WebSocket test client for ASGI applications, like channels.testing.WebsocketCommunicator
(which cannot be imported here: channels.testing needs daphne, which dialcrm does not use)."""

from __future__ import annotations

import json
from typing import Any

from asgiref.testing import ApplicationCommunicator


class SocketClient(ApplicationCommunicator):  # type: ignore[misc]
    """One browser's WebSocket to the application."""

    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {
            "type": "websocket",
            "path": path,
            "query_string": b"",
            "headers": headers,
            "subprotocols": [],
            "client": ("127.0.0.1", 50000),
        }
        super().__init__(application, scope)

    async def connect(self, timeout: float = 1) -> tuple[bool, Any]:
        """(True, subprotocol) when accepted, (False, close code) when refused. A refused
        socket is gone, as in a browser: the application hears so and ends here, not when the
        test's event loop closes (cancelling a consumer mid-wait there has hung the suite)."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            await self.disconnect(response.get("code", 1000), timeout)
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, response.get("subprotocol")

    async def send_to(self, text_data: str) -> None:
        await self.send_input({"type": "websocket.receive", "text": text_data})

    async def send_json_to(self, data: Any) -> None:
        await self.send_to(json.dumps(data))

    async def receive_json_from(self, timeout: float = 1) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 10) -> None:
        """The browser goes; the application's disconnect handler runs to its end (cut short at
        `timeout`, as asgiref's `wait` cancels it: a second was too short on a busy machine for
        a handler that tells the engine, such as a consulted desk's)."""
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
