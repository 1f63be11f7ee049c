"""A recording double of the Consul agent API, for the one reply a real agent
cannot be made to give on demand: an HTTP 5xx to a service registration (see
test_consul.py). Everything else is tested against a real agent."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ConsulDouble:
    def __init__(self, fail_first: int = 0, port: int = 0):
        self.calls: list[dict] = []
        self.fail_first = fail_first
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                # Verification of a registration: "known" once one succeeded.
                with double._lock:
                    known = len(double.registrations_locked()) > double.fail_first
                self._answer(200 if known else 404)

            def do_PUT(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = {"time": time.monotonic(), "method": "PUT", "path": self.path,
                        "body": json.loads(body) if body else None}
                with double._lock:
                    double.calls.append(call)
                    failing = len(double.calls) <= double.fail_first
                self._answer(500 if failing else 200)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def registrations_locked(self) -> list[dict]:
        return [c for c in self.calls if c["path"].startswith("/v1/agent/service/register")]

    def registrations(self) -> list[dict]:
        with self._lock:
            return self.registrations_locked()

    def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise TimeoutError(f"condition not met; calls so far: {self.calls}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
