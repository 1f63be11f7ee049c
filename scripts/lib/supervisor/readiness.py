"""Readiness checks: how a started process proves it serves.

Each check is a callable returning True once the process is ready, and says
what it waits for (for the timeout message). Every probe has a short timeout
of its own, so one hung probe cannot outlast the start's deadline by much."""
from __future__ import annotations

import os
import re
import socket
import subprocess

# Plain classes, no dataclasses, and urllib imported on first use: a shell
# script may run `python3 -m supervisor pid` once per component, so the import
# time of this package can be paid dozens of times per command.


class TcpPort:
    """Something accepts connections on 127.0.0.1:port."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.port, self.host = port, host

    def __call__(self) -> bool:
        return port_open(self.port, self.host)

    def __str__(self) -> str:
        return f"a listener on {self.host}:{self.port}"


class HttpOk:
    """GET url answers 200 (and, with body_pattern, a body matching it)."""

    def __init__(self, url: str, body_pattern: str | None = None):
        self.url, self.body_pattern = url, body_pattern

    def __call__(self) -> bool:
        code, body = http_get(self.url)
        if code != 200:
            return False
        return self.body_pattern is None or re.search(self.body_pattern, body) is not None

    def __str__(self) -> str:
        return f"HTTP 200 from {self.url}"


class Command:
    """argv exits 0 (and, with expect, prints exactly that, stripped)."""

    def __init__(self, argv: tuple[str, ...] | list[str], expect: str | None = None,
                 env: dict[str, str] | None = None):
        self.argv, self.expect, self.env = tuple(argv), expect, dict(env or {})

    def __call__(self) -> bool:
        try:
            out = subprocess.run(self.argv, capture_output=True, text=True, timeout=5,
                                 stdin=subprocess.DEVNULL, env={**os.environ, **self.env})
        except (OSError, subprocess.TimeoutExpired):
            return False
        return out.returncode == 0 and (self.expect is None or out.stdout.strip() == self.expect)

    def __str__(self) -> str:
        return "`" + " ".join(self.argv) + "`" + (f" to print {self.expect}" if self.expect else "")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


_opener = None


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """(status, body); status 0 when nothing answered (curl's 000)."""
    global _opener
    import urllib.error
    import urllib.request
    if _opener is None:  # loopback probes never go through an http_proxy of the environment
        _opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with _opener.open(url, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except (OSError, ValueError):
        return 0, ""
