"""Does this MongoDB-wire server keep single-document updates atomic?

The functional suite, the drills and every claim of "never oversells" rest on
it: real MongoDB does, FerretDB v1 does not (it reads, applies the update in Go
and writes the whole document back, so concurrent updates are lost). Two
probes, both counting:

  * 32 threads x 50 `$inc` of one field: the field must end at 1600;
  * 32 threads "selling" a stock of 100 with a conditional `$inc`
    (`find_one_and_update({stock: {$gte: 1}}, {$inc: {stock: -1}})`): exactly
    100 calls may succeed. (The final stock reads 0 either way: only the count
    of successes shows an oversell.)

As a script: `python tests/functional/atomicity.py mongodb://127.0.0.1:27017`
prints the figures and exits 1 when the server loses updates."""
from __future__ import annotations

import sys
import threading
import uuid
from dataclasses import dataclass

from pymongo import MongoClient, ReturnDocument

THREADS = 32
INCREMENTS_PER_THREAD = 50
STOCK = 100


@dataclass
class AtomicityReport:
    increments_wanted: int
    increments_applied: int
    stock: int
    sold: int

    @property
    def atomic(self) -> bool:
        return self.increments_applied == self.increments_wanted and self.sold == self.stock

    def __str__(self) -> str:
        return (f"{THREADS} threads: {self.increments_applied} of {self.increments_wanted} "
                f"concurrent $inc applied; {self.sold} units sold from a stock of {self.stock} "
                f"by conditional $inc")


def _race(worker) -> None:
    start = threading.Barrier(THREADS)

    def run():
        start.wait()
        worker()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def probe(url: str) -> AtomicityReport:
    client = MongoClient(url, serverSelectionTimeoutMS=5000, maxPoolSize=THREADS + 4)
    try:
        coll = client["storefront_selfcheck"][f"atomicity_{uuid.uuid4().hex[:8]}"]
        coll.insert_one({"_id": "doc", "n": 0, "stock": STOCK})

        def increment():
            for _ in range(INCREMENTS_PER_THREAD):
                coll.update_one({"_id": "doc"}, {"$inc": {"n": 1}})

        _race(increment)
        sold = []
        lock = threading.Lock()

        def sell():
            mine = 0
            while coll.find_one_and_update({"_id": "doc", "stock": {"$gte": 1}},
                                           {"$inc": {"stock": -1}},
                                           return_document=ReturnDocument.AFTER) is not None:
                mine += 1
            with lock:
                sold.append(mine)

        _race(sell)
        applied = coll.find_one({"_id": "doc"})["n"]
        coll.drop()
        return AtomicityReport(THREADS * INCREMENTS_PER_THREAD, applied, STOCK, sum(sold))
    finally:
        client.close()


def refusal(url: str, report: AtomicityReport) -> str:
    return (f"The MongoDB server at {url} loses concurrent updates ({report}). Tests of stock, "
            "orders and idempotency would pass or fail by chance on it, so the suite refuses to "
            "run. Use the stand-in (scripts/mongo-standin, mongo-java-server) or a real MongoDB.")


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "mongodb://127.0.0.1:27017"
    result = probe(target)
    print(f"{target}: {result}: {'atomic' if result.atomic else 'LOSES UPDATES'}")
    sys.exit(0 if result.atomic else 1)
