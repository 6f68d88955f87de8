"""HTTP/1.1 plumbing: a threading loopback server, keep-alive JSON answers, chunked SSE streams."""

from __future__ import annotations

import contextlib
import http
import json
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from routed_llm.testing.sse import Frame

log = logging.getLogger("routed_llm.testing.emulator")


def _reason(status: int) -> str:
    if status == 529:
        return "Overloaded"
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Handler(BaseHTTPRequestHandler):
    """Hands each request to ``server.dispatch``; the socket stays open between requests."""

    protocol_version = "HTTP/1.1"
    server_version = "routed-llm-emulator/1"
    sys_version = ""
    timeout = 120
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.track(self.connection, False)

    def do_POST(self) -> None:
        self.server.dispatch(self, "POST")

    def do_GET(self) -> None:
        self.server.dispatch(self, "GET")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # ----------------------------------------------------------------------------- helpers

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _head(self, status: int, headers: Mapping[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_reason(status)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append("Connection: close" if self.close_connection else "Connection: keep-alive")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        all_headers = {"Content-Type": "application/json", "Content-Length": str(len(payload)), **(headers or {})}
        self.wfile.write(self._head(status, all_headers) + payload)

    def abort(self) -> None:
        """Reset the connection without (more of) an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def send_stream(
        self,
        frames: Iterable[Frame],
        headers: Mapping[str, str],
        *,
        seconds_per_token: float,
        drop_after: int | None,
        sleep: Callable[[float], bool],
    ) -> bool:
        """Write an SSE stream; False when it was cut (``drop_after``) or the client went away."""
        head = self._head(200, {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
            **headers,
        })
        buf = bytearray(head)
        start = time.monotonic()
        tokens = 0
        sent = 0
        try:
            for frame in frames:
                if drop_after is not None and sent >= drop_after and (frame.content or frame.final):
                    self.wfile.write(bytes(buf))
                    self.abort()
                    return False
                if frame.content:
                    tokens += frame.tokens
                    delay = start + tokens * seconds_per_token - time.monotonic()
                    if delay > 0.0005:
                        if buf:
                            self.wfile.write(bytes(buf))
                            buf.clear()
                        if not sleep(delay):
                            self.abort()
                            return False
                    sent += 1
                buf += b"%x\r\n%s\r\n" % (len(frame.data), frame.data)
            if drop_after is not None:
                self.wfile.write(bytes(buf))
                self.abort()
                return False
            buf += b"0\r\n\r\n"
            self.wfile.write(bytes(buf))
            return True
        except OSError:
            self.close_connection = True
            return False


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], dispatch: Callable[[Handler, str], None]) -> None:
        self._dispatch = dispatch
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN, which can stall on a machine without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def dispatch(self, handler: Handler, method: str) -> None:
        self._dispatch(handler, method)

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._conns_lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)
