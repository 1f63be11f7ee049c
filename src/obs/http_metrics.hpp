#pragma once

#include "obs/metrics.hpp"

namespace storefront::obs {

// The RED metrics of the HTTP server, shared by the transport (in-flight,
// rejected connections, protocol errors) and the API layer (per route).
struct HttpMetrics {
  explicit HttpMetrics(Registry& registry)
      : requests(registry.counter("http_server_requests_total",
                                  "HTTP requests answered, by method, route template and status.",
                                  {"method", "route", "status"})),
        duration(registry.histogram("http_server_request_duration_seconds",
                                    "Time from a complete request to its response, by route.",
                                    {"route"})),
        in_flight(
            registry.gauge("http_server_requests_in_flight", "Requests being processed.").with({})),
        rejected_connections(registry
                                 .counter("http_server_rejected_connections_total",
                                          "Connections refused because the cap was reached.")
                                 .with({})),
        worker_rejected(registry
                            .counter("storefront_worker_pool_rejected_total",
                                     "Requests answered 503 because the worker queue was full.")
                            .with({})),
        shed(
            registry.counter("storefront_shed_total",
                             "Requests answered 503 for load (concurrency limit, full worker queue "
                             "or deadline spent in the queue), by route.",
                             {"route"})) {}

  Family<Counter>& requests;
  Family<Histogram>& duration;
  Gauge& in_flight;
  Counter& rejected_connections;
  Counter& worker_rejected;
  Family<Counter>& shed;
};

}  // namespace storefront::obs
