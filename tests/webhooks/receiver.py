"""A real HTTP receiver on 127.0.0.1 in a thread: it answers each POST with the next status of
a script (then 200), and keeps what it was sent."""

from __future__ import annotations

import http.server
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn, then 200
    delay_s: float = 0.0
    received: list[Received] = field(default_factory=list)


def start_receiver() -> tuple[Receiver, http.server.ThreadingHTTPServer]:
    receiver = Receiver(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.received.append(Received(dict(self.headers.items()), body, self.path))
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            answer = b"ok" if status < 300 else b"not now"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/dialcrm"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
