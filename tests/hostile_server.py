"""A raw-socket HTTP server on 127.0.0.1 that misbehaves on purpose (not a test module).

``http.server`` cannot drip headers a byte at a time or promise a gigabyte it never sends, so
the HTTP clients' bounds are tested against this instead: each connection's request is read,
then a ``script`` writes whatever bytes it wants, as slowly as it wants, until the server stops.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Script = Callable[["Connection"], None]


@dataclass
class Connection:
    """One accepted connection: what the client sent, and a way to answer."""

    sock: socket.socket
    stop: threading.Event
    request_head: bytes = b""
    request_body: bytes = b""

    @property
    def request_line(self) -> str:
        return self.request_head.split(b"\r\n", 1)[0].decode("latin-1")

    def send(self, data: bytes) -> bool:
        """Write ``data``; False once the client has gone away."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def drip(self, data: bytes, every: float) -> bool:
        """Write ``data`` one byte at a time, ``every`` seconds apart, until done or stopped."""
        for index in range(len(data)):
            if self.stop.wait(every) or not self.send(data[index : index + 1]):
                return False
        return True


@dataclass
class HostileServer:
    """Answers every connection with ``script``; ``connections`` lists what clients sent."""

    script: Script
    url: str = ""
    connections: list[Connection] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def serve(self, listener: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(sock,), daemon=True).start()

    def _handle(self, sock: socket.socket) -> None:
        connection = Connection(sock, self.stop)
        self.connections.append(connection)
        try:
            sock.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
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
            connection.request_head, connection.request_body = head, body
            sock.settimeout(None)
            self.script(connection)
        except OSError:
            pass
        finally:
            sock.close()


@contextmanager
def hostile_server(script: Script) -> Iterator[HostileServer]:
    """Serve ``script`` on a free loopback port for the duration of the block."""
    server = HostileServer(script)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        # shutdown() wakes the thread blocked in accept(); close() alone does not on Linux.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """A complete HTTP/1.1 response with ``Content-Length`` (unless ``headers`` sets one)."""
    lines = [f"HTTP/1.1 {status} Scripted"]
    fields = {"Content-Type": "application/json", "Connection": "close", **(headers or {})}
    if not any(name.lower() == "content-length" for name in fields):
        fields["Content-Length"] = str(len(body))
    lines += [f"{name}: {value}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Script:
    """A script that sends one complete response."""

    def script(connection: Connection) -> None:
        connection.send(response(status, body, headers))

    return script
