"""A small Consul agent double: records the agent API calls storefront makes
and, like a real agent, calls the HTTP check URL of a registered service.
Payload field names follow Consul's agent service API documentation."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class ConsulDouble:
    def __init__(self, fail_first: int = 0, port: int = 0):
        self.calls: list[dict] = []
        self.check_results: list[tuple[float, int]] = []
        self.fail_first = fail_first
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_PUT(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                call = {"time": time.monotonic(), "method": "PUT", "path": self.path,
                        "headers": dict(self.headers), "body": json.loads(body) if body else None}
                with double._lock:
                    double.calls.append(call)
                    failing = len(double.calls) <= double.fail_first
                if self.path.startswith("/v1/agent/service/deregister/"):
                    # What a real gateway would see at this moment.
                    double.probe_check()
                status = 500 if failing else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def registrations(self) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if c["path"].startswith("/v1/agent/service/register")]

    def deregistrations(self) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if "/deregister/" in c["path"]]

    def probe_check(self) -> int | None:
        regs = [r for r in self.registrations() if r["body"]]
        if not regs:
            return None
        check = regs[-1]["body"]["Check"]
        try:
            status = requests.get(check["HTTP"], timeout=2).status_code
        except requests.RequestException:
            status = 0
        with self._lock:
            self.check_results.append((time.monotonic(), status))
        return status

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
