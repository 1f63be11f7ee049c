"""The port plan and the component table of the local stack.

Everything hangs off one base port B (STACK_BASE_PORT, default 8080):
  B            gateway (HAProxy)            B+10  HAProxy stats + /metrics
  B+1 .. B+9   storefront instances         B+11  MongoDB stand-in
               (storefront-N on B+N)        B+12  Prometheus
  B+20 .. B+25 Redis Cluster nodes          B+13  Alertmanager
               (cluster bus: port + 10000)  B+14  redis_exporter
  B+26         gateway over TLS (HAProxy)   B+15  Consul HTTP API
                                            B+16  Consul DNS (UDP and TCP)
                                            B+17  Consul serf LAN (UDP and TCP)
                                            B+18  Consul server RPC
                                            B+19  media edge (nginx)
MAX_INSTANCES is the most instances the plan has room for (and the number of
HAProxy server slots filled from Consul)."""
from __future__ import annotations

MAX_INSTANCES = 9
REDIS_NODES = 6
# The service name storefront registers (src/discovery/consul_registrar.hpp);
# HAProxy's SRV name and APISIX's service_name must match it (tests/deploy).
SERVICE_NAME = "storefront"
# The highest port offset used (the last Redis node's cluster bus).
HIGHEST_OFFSET = 20 + REDIS_NODES - 1 + 10000


class Ports:
    """The ports of a stack on base port `base` with `instances` storefronts."""

    def __init__(self, base: int, instances: int):
        self.base, self.instances = base, instances
        self.gateway = base
        self.stats = base + 10
        self.mongo = base + 11
        self.prometheus = base + 12
        self.alertmanager = base + 13
        self.redis_exporter = base + 14
        self.consul_http = base + 15
        self.consul_dns = base + 16
        self.consul_serf = base + 17
        self.consul_server = base + 18
        self.media = base + 19
        self.tls = base + 26
        self.storefronts = [base + i for i in range(1, instances + 1)]
        self.redis = [base + 20 + i for i in range(REDIS_NODES)]

    def storefront(self, n: int) -> int:
        """storefront-N's port, also for an N beyond `instances` (scale)."""
        return self.base + n

    def redis_nodes(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.redis]


def components(instances: int) -> list[str]:
    """Every component in start order (down stops them in reverse)."""
    return (["mongo", "media", *[f"redis-{i}" for i in range(1, REDIS_NODES + 1)], "redis-exporter", "consul",
             *[f"storefront-{i}" for i in range(1, instances + 1)], "haproxy", "alertmanager", "prometheus"])


def numbered(name: str, prefix: str, highest: int) -> int | None:
    """redis-3 -> 3 for prefix "redis-" (1..highest), else None."""
    suffix = name[len(prefix):] if name.startswith(prefix) else ""
    return int(suffix) if len(suffix) == 1 and suffix.isdigit() and 1 <= int(suffix) <= highest else None


def component_port(name: str, ports: Ports) -> int | None:
    """The port a component's health is probed on (its main listener)."""
    fixed = {"mongo": ports.mongo, "media": ports.media, "redis-exporter": ports.redis_exporter,
             "consul": ports.consul_http, "haproxy": ports.gateway, "alertmanager": ports.alertmanager,
             "prometheus": ports.prometheus}
    if name in fixed:
        return fixed[name]
    if (n := numbered(name, "redis-", REDIS_NODES)) is not None:
        return ports.redis[n - 1]
    if (n := numbered(name, "storefront-", MAX_INSTANCES)) is not None:
        return ports.storefront(n)
    return None
