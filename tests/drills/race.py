"""Buyers racing for one SKU through the gateway (the hot-SKU drill).

Each buyer is a thread with its own keep-alive session. It places orders of one
unit, each under a new Idempotency-Key, until the SKU is sold out (409
"Insufficient stock"). An order without a final answer is sent again with the
same key and body, as a checkout does: on no answer (the instance died under
it), on 502/503/504, on 429 (the gateway's per-client limit; one address sends
every buyer's orders here) and on 409 + Retry-After (the key's first request is
still pending, e.g. on the killed instance until the sweep settles it). Every answer
is recorded; a key is settled by a 201 or an insufficient-stock 409.

Always bounded: each key gives up after key_timeout seconds, every buyer after
max_seconds.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

RETRIED = {429, 502, 503, 504}


def sold_out(r: requests.Response) -> bool:
    """The 409 of a short SKU (not the 409 + Retry-After of a key still in progress)."""
    try:
        return str(r.json().get("detail", "")).startswith("Insufficient stock")
    except ValueError:
        return False


@dataclass
class Attempt:
    key: str
    statuses: list[int | None] = field(default_factory=list)  # None: no HTTP answer
    outcome: str = "unsettled"  # confirmed | insufficient | unsettled | unexpected
    order_id: str | None = None
    detail: str = ""


class Race:
    def __init__(self, base_url: str, sku: str, buyers: int = 64, key_timeout: float = 60,
                 max_seconds: float = 120):
        self.base_url = base_url.rstrip("/")
        self.sku = sku
        self.buyers = buyers
        self.key_timeout = key_timeout
        self.max_seconds = max_seconds
        self.run_id = uuid.uuid4().hex[:8]
        self.attempts: list[Attempt] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._go = threading.Event()

    def start(self) -> None:
        for i in range(self.buyers):
            t = threading.Thread(target=self._buyer, args=(i,), daemon=True)
            self._threads.append(t)
            t.start()
        self._go.set()  # all connect at once: a race

    def join(self) -> list[Attempt]:
        for t in self._threads:
            t.join(self.max_seconds + self.key_timeout + 10)
        return list(self.attempts)

    def _buyer(self, index: int) -> None:
        session = requests.Session()
        deadline = time.monotonic() + self.max_seconds
        self._go.wait()
        n = 0
        try:
            while time.monotonic() < deadline:
                attempt = Attempt(key=f"drill-{self.run_id}-{index}-{n}")
                n += 1
                with self._lock:
                    self.attempts.append(attempt)
                self._settle(session, index, attempt)
                if attempt.outcome != "confirmed":
                    return  # sold out, or something the drill reports
        finally:
            session.close()

    def _settle(self, session: requests.Session, index: int, attempt: Attempt) -> None:
        body = {"customer_id": f"drill-buyer-{index}", "items": [{"sku": self.sku, "quantity": 1}]}
        give_up = time.monotonic() + self.key_timeout
        while time.monotonic() < give_up:
            try:
                r = session.post(f"{self.base_url}/orders", json=body, timeout=(2, 12),
                                 headers={"Idempotency-Key": attempt.key})
            except requests.RequestException as exc:
                attempt.statuses.append(None)
                attempt.detail = repr(exc)[:200]
                time.sleep(0.2)
                continue
            attempt.statuses.append(r.status_code)
            if r.status_code == 201:
                attempt.outcome, attempt.order_id = "confirmed", r.json()["id"]
                return
            if r.status_code == 409 and sold_out(r):
                attempt.outcome = "insufficient"
                attempt.detail = r.text[:200]
                return
            if r.status_code in RETRIED or (r.status_code == 409 and r.headers.get("Retry-After")):
                time.sleep(min(float(r.headers.get("Retry-After") or 0.2), 1.0))
                continue
            attempt.outcome, attempt.detail = "unexpected", f"{r.status_code} {r.text[:200]}"
            return
