"""A loopback HTTP proxy that can forward, answer 500, refuse, or cut a request half-way.

One request per connection (it answers `Connection: close`), which keeps the byte
bookkeeping exact. Faults are given per request:

    proxy = FaultProxy(upstream_port).start()
    proxy.default = "forward" | "500" | "reset"
    proxy.fault_next("500", count=3)                            # the next 3 requests get a 500
    proxy.fault_next("cut", match="PUT /api/v1/photos", after=20_000)  # cut after 20 KB of the upload
    proxy.fault_next("lose_response")   # the server does the work, the answer never reaches the phone
    proxy.stop()
"""

from __future__ import annotations

import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass

_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 76\r\n"
    b"Connection: close\r\n\r\n"
    b'{"detail": "Injected failure by the test proxy; try again.", "code": "boom"}'
)
assert len(_500.split(b"\r\n\r\n", 1)[1]) == 76


@dataclass
class Fault:
    mode: str
    count: int
    match: str | None
    after: int


def _abort(sock: socket.socket) -> None:
    """Close with a RST, as a dropped link looks to the other side."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.default = "forward"
        self.faults: list[Fault] = []
        self.seen: Counter[str] = Counter()  # "METHOD /path" -> requests received
        self.injected: Counter[str] = Counter()  # mode -> faults injected
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        # close() alone does not wake a thread blocked in accept(): it would hold the socket forever.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._thread.join(5)

    def fault_next(self, mode: str, *, count: int = 1, match: str | None = None, after: int = 0) -> None:
        with self._lock:
            self.faults.append(Fault(mode, count, match, after))

    def _choose(self, request_line: str) -> tuple[str, int]:
        with self._lock:
            for fault in self.faults:
                if fault.count > 0 and (fault.match is None or request_line.startswith(fault.match)):
                    fault.count -= 1
                    self.injected[fault.mode] += 1
                    return fault.mode, fault.after
            self.faults = [f for f in self.faults if f.count > 0]
            return self.default, 0

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        try:
            head, rest = _read_head(client)
            if head is None:
                client.close()
                return
            lines = head.split(b"\r\n")
            request_line = lines[0].decode("latin-1")
            method, target = request_line.split(" ")[:2]
            self.seen[f"{method} {target.split('?')[0]}"] += 1
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            mode, after = self._choose(request_line)
            if mode == "reset":
                _abort(client)
                return
            if mode == "500":
                _read_exactly(client, rest, length)
                client.sendall(_500)
                client.close()
                return
            kept = [line for line in lines[1:] if not line.lower().startswith(b"connection:")]
            new_head = b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n"
            upstream = socket.create_connection(self.upstream)
            if mode == "cut":
                upstream.sendall(new_head)
                _pump(client, upstream, rest, min(after, length))
                _abort(upstream)
                _abort(client)
                return
            upstream.sendall(new_head)
            _pump(client, upstream, rest, length)
            response = _read_all(upstream)
            upstream.close()
            if mode == "lose_response":
                _abort(client)
                return
            resp_head, _, body = response.partition(b"\r\n\r\n")
            resp_lines = [line for line in resp_head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
            client.sendall(b"\r\n".join([*resp_lines, b"Connection: close"]) + b"\r\n\r\n" + body)
            client.close()
        except OSError:
            client.close()


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _read_exactly(sock: socket.socket, already: bytes, length: int) -> bytes:
    data = already
    while len(data) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _pump(src: socket.socket, dst: socket.socket, already: bytes, length: int) -> None:
    """Copy `length` body bytes from src to dst (starting with those already read)."""
    sent = 0
    chunk = already[:length]
    while True:
        if chunk:
            dst.sendall(chunk)
            sent += len(chunk)
        if sent >= length:
            return
        chunk = src.recv(min(65536, length - sent))
        if not chunk:
            return


def _read_all(sock: socket.socket) -> bytes:
    parts = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
