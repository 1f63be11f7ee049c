"""A steady, bounded client load through the gateway: a few threads, each with
its own keep-alive session, pacing requests to a fixed total rate. Every request
is recorded (start time, method, kind, status, latency, a few headers, error).

Always bounded: stop() ends it, and it also stops by itself after max_seconds.
"""
from __future__ import annotations

import itertools
import math
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

# kind -> (method, weight). GETs are idempotent (HAProxy may retry them on
# another instance); POSTs are not (retried only when the connection failed).
MIX = {
    "users": ("GET", 2),       # GET /helloDoc/users: the cacheable list (X-Cache)
    "user": ("GET", 6),        # GET /helloDoc/users/ly<n>
    "count": ("GET", 1),       # GET /helloDoc/count
    "create": ("POST", 1),     # POST /drills/users: a write, never retried after sending
}
EXPECTED = {"GET": 200, "POST": 201}


@dataclass
class Record:
    t: float                 # monotonic start time
    method: str
    kind: str
    status: int | None       # None: no HTTP answer (connection error, timeout)
    latency: float           # seconds
    error: str = ""
    x_cache: str | None = None
    served_by: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == EXPECTED[self.method]


@dataclass
class Result:
    records: list[Record] = field(default_factory=list)

    def window(self, start: float | None = None, end: float | None = None) -> "Result":
        return Result([r for r in self.records
                       if (start is None or r.t >= start) and (end is None or r.t < end)])

    @property
    def failed(self) -> list[Record]:
        return [r for r in self.records if not r.ok]

    def failed_of(self, method: str) -> list[Record]:
        return [r for r in self.failed if r.method == method]

    def p99_ms(self) -> float:
        lat = sorted(r.latency for r in self.records)
        if not lat:
            return 0.0
        return lat[max(0, math.ceil(0.99 * len(lat)) - 1)] * 1000

    def max_ms(self) -> float:
        return max((r.latency for r in self.records), default=0.0) * 1000

    def line(self, name: str) -> str:
        return (f"drill {name}: requests {len(self.records)}, failed {len(self.failed)}, "
                f"p99 {self.p99_ms():.0f} ms")

    def describe_failures(self, limit: int = 10) -> str:
        out = []
        for r in self.failed[:limit]:
            out.append(f"  {r.method} {r.kind}: status={r.status} latency={r.latency * 1000:.0f}ms "
                       f"served_by={r.served_by} error={r.error[:160]}")
        return "\n".join(out)


class Load:
    def __init__(self, base_url: str, rps: float = 30, threads: int = 4, max_seconds: float = 240,
                 timeout: float = 12, mix: dict | None = None):
        self.base_url = base_url.rstrip("/")
        self.rps = rps
        self.threads = threads
        self.max_seconds = max_seconds
        self.timeout = timeout
        self.mix = mix or MIX
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._results: list[list[Record]] = []
        self._ids = itertools.count()
        self.run_id = uuid.uuid4().hex[:8]

    def __enter__(self) -> "Load":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        for i in range(self.threads):
            records: list[Record] = []
            self._results.append(records)
            t = threading.Thread(target=self._worker, args=(i, records), daemon=True)
            self._workers.append(t)
            t.start()

    def stop(self) -> Result:
        self._stop.set()
        for t in self._workers:
            t.join(self.timeout + 5)
        merged = sorted(itertools.chain.from_iterable(self._results), key=lambda r: r.t)
        return Result(merged)

    def snapshot(self) -> Result:
        """Records so far (while running)."""
        return Result(sorted(itertools.chain.from_iterable(list(r) for r in self._results),
                             key=lambda r: r.t))

    def _request(self, session: requests.Session, rng: random.Random, kind: str) -> Record:
        method = self.mix[kind][0]
        if kind == "users":
            url, body = f"{self.base_url}/helloDoc/users", None
        elif kind == "user":
            url, body = f"{self.base_url}/helloDoc/users/ly{rng.randrange(1000)}", None
        elif kind == "count":
            url, body = f"{self.base_url}/helloDoc/count", None
        else:
            n = next(self._ids)
            url, body = f"{self.base_url}/drills/users", {"name": f"drill-{self.run_id}-{n}", "age": n % 100}
        t0 = time.monotonic()
        try:
            resp = session.request(method, url, json=body, timeout=(2, self.timeout))
            _ = resp.content
            return Record(t0, method, kind, resp.status_code, time.monotonic() - t0,
                          error="" if resp.status_code == EXPECTED[method] else resp.text[:200],
                          x_cache=resp.headers.get("X-Cache"),
                          served_by=resp.headers.get("X-Served-By"),
                          retry_after=resp.headers.get("Retry-After"))
        except requests.RequestException as exc:
            return Record(t0, method, kind, None, time.monotonic() - t0, error=repr(exc))

    def _worker(self, index: int, records: list[Record]) -> None:
        rng = random.Random(index)
        kinds = list(self.mix)
        weights = [self.mix[k][1] for k in kinds]
        interval = self.threads / self.rps
        session = requests.Session()
        deadline = time.monotonic() + self.max_seconds
        next_at = time.monotonic() + rng.random() * interval
        try:
            while not self._stop.is_set() and time.monotonic() < deadline:
                delay = next_at - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                next_at = max(next_at + interval, time.monotonic() - interval)
                records.append(self._request(session, rng, rng.choices(kinds, weights)[0]))
        finally:
            session.close()
