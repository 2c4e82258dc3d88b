"""A fault-injecting HTTP proxy on loopback, between a station and central.

Each request is read whole, then a fault is drawn (seeded): pass it on untouched, drop it
(close without forwarding), lose the answer (forward, then close: central did the work, the
station never hears), delay it, send it twice, replay an older request before it (reordering),
truncate or corrupt the request, truncate or corrupt the answer. After ``budget`` faults
everything passes untouched. ``tally`` counts what was done.

When central cannot be reached (its process killed and not yet back) or dies before its whole
answer is out, the station gets a 502 at once (or a closed connection if it was already being
answered), never a hang: ``tally["upstream_down"]`` counts those.
"""

import random
import socket
import socketserver
import threading
import time
from collections import Counter

FAULTS = ("drop", "lose_answer", "delay", "duplicate", "replay_old", "truncate_request",
          "corrupt_request", "truncate_answer", "corrupt_answer")


BAD_GATEWAY = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
               b"Content-Length: 57\r\nConnection: close\r\n\r\n"
               b'{"code": "bad_gateway", "detail": "central unreachable"}\n')


class UpstreamDown(OSError):
    """Central refused the connection or closed it before its whole answer."""


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP/1.x message with a Content-Length body (or none); what arrived if the peer
    closed early (see ``_complete``)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _complete(message: bytes) -> bool:
    head, separator, body = message.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True


def _set_length(message: bytes, body: bytes) -> bytes:
    head = message.partition(b"\r\n\r\n")[0]
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith(b"content-length:")]
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _close_header(message: bytes) -> bytes:
    head, _, body = message.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], *, seed: int = 1, rate: float = 0.5,
                 budget: int = 500, max_delay: float = 0.5):
        self.upstream, self.rng, self.rate = upstream, random.Random(seed), rate
        self.budget, self.max_delay = budget, max_delay
        self.tally: Counter = Counter()
        self.lock = threading.Lock()
        self.history: list[bytes] = []
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy.handle(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def start(self) -> "FaultProxy":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def faults(self) -> int:
        return sum(n for kind, n in self.tally.items() if kind in FAULTS)

    def _draw(self) -> str:
        with self.lock:
            if self.faults >= self.budget or self.rng.random() >= self.rate:
                fault = "pass"
            else:
                fault = self.rng.choice(FAULTS)
            self.tally[fault] += 1
            return fault

    def _forward(self, request: bytes) -> bytes:
        try:
            with socket.create_connection(self.upstream, timeout=120) as upstream:
                upstream.sendall(_close_header(request))
                answer = _read_message(upstream)
        except OSError as error:
            raise UpstreamDown(str(error)) from error
        if not _complete(answer):
            raise UpstreamDown("central closed the connection before its whole answer")
        return answer

    def _damage(self, message: bytes, how: str) -> bytes:
        head, _, body = message.partition(b"\r\n\r\n")
        if not body:
            return message
        if how == "truncate":
            return _set_length(message, body[: self.rng.randrange(len(body))])
        position = self.rng.randrange(len(body))
        damaged = body[:position] + bytes([body[position] ^ 0x20]) + body[position + 1:]
        return head + b"\r\n\r\n" + damaged

    def handle(self, client: socket.socket) -> None:
        request = _read_message(client)
        if not request:
            return
        fault = self._draw()
        with self.lock:
            older = self.rng.choice(self.history) if self.history else None
            self.history = (self.history + [request])[-20:]
        try:
            self._serve(client, request, fault, older)
        except UpstreamDown:
            # Central killed or restarting: the station hears it at once, and tries later.
            with self.lock:
                self.tally["upstream_down"] += 1
            try:
                client.sendall(BAD_GATEWAY)
            except OSError:
                pass
        except OSError:
            pass  # the station gave up: nothing to answer

    def _serve(self, client, request: bytes, fault: str, older: bytes | None) -> None:
        if fault == "drop":
            return
        if fault == "delay":
            time.sleep(self.rng.uniform(0, self.max_delay))
        if fault == "duplicate":
            self._forward(request)
        if fault == "replay_old" and older is not None:
            self._forward(older)
        if fault in ("truncate_request", "corrupt_request"):
            request = self._damage(request, fault.split("_")[0])
        answer = self._forward(request)
        if fault == "lose_answer":
            return
        if fault in ("truncate_answer", "corrupt_answer"):
            answer = self._damage(answer, fault.split("_")[0])
        client.sendall(answer)
