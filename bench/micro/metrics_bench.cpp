// What recording a metric costs on the request path. BM_CachedHitUpdates is
// the figure that decides the registry: every update a cached GET does, next
// to the 31-48 us of CPU such a request costs (docs/benchmarks.md).
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "obs/http_metrics.hpp"

namespace storefront::obs {
namespace {

void BM_CounterInc(benchmark::State& state) {
  static Registry r;
  static auto& c = r.counter("c_total", "c").with({});
  for (auto _ : state) c.inc();
}
BENCHMARK(BM_CounterInc)->ThreadRange(1, 2);

void BM_GaugeAdd(benchmark::State& state) {
  static Registry r;
  static auto& g = r.gauge("g", "g").with({});
  for (auto _ : state) g.add(1);
}
BENCHMARK(BM_GaugeAdd)->ThreadRange(1, 2);

// A label lookup on every update: what a call site that does not keep the
// series pays (the API keeps them; the protocol-error path does not).
void BM_CounterWithLabels(benchmark::State& state) {
  static Registry r;
  static auto& family = r.counter("req_total", "r", {"method", "route", "status"});
  for (auto _ : state) family.with({"GET", "/{collection}/users", "200"}).inc();
}
BENCHMARK(BM_CounterWithLabels)->ThreadRange(1, 2);

void BM_HistogramObserve(benchmark::State& state) {
  static Registry r;
  static auto& h = r.histogram("d_seconds", "d", {"route"}).with({"/"});
  double v = 0.0001;
  for (auto _ : state) {
    h.observe(v);
    v = v > 5 ? 0.0001 : v * 1.7;
  }
}
BENCHMARK(BM_HistogramObserve)->ThreadRange(1, 2);

// Everything the API records for one request, looking both series up.
void BM_RecordRequest(benchmark::State& state) {
  static Registry r;
  static HttpMetrics m(r);
  for (auto _ : state) {
    m.requests.with({"GET", "/{collection}/users", "200"}).inc();
    m.duration.with({"/{collection}/users"}).observe(0.0004);
  }
}
BENCHMARK(BM_RecordRequest)->ThreadRange(1, 2);

// The updates of one cached GET served from Redis, with the series the code
// keeps (src/http/server.cpp, src/api/exchange.cpp, src/cache): in-flight
// +1/-1, the request counter, the duration histogram, the cache hit counter and
// the MGET duration (one per coalesced group; counted once here, the upper
// bound). An L1 hit does the same without the MGET histogram.
void BM_CachedHitUpdates(benchmark::State& state) {
  static Registry r;
  static HttpMetrics m(r);
  static auto& request = m.requests.with({"GET", "/{collection}/users", "200"});
  static auto& duration = m.duration.with({"/{collection}/users"});
  static auto& hits = r.counter("storefront_cache_hits_total", "h").with({});
  static auto& mget =
      r.histogram("storefront_redis_command_duration_seconds", "c", {"command"}).with({"mget"});
  for (auto _ : state) {
    m.in_flight.add(1);
    mget.observe(0.0002);
    hits.inc();
    request.inc();
    duration.observe(0.0004);
    m.in_flight.add(-1);
  }
}
BENCHMARK(BM_CachedHitUpdates)->ThreadRange(1, 2);

// prometheus-cpp's own lookup (Family::Add builds a Labels map and takes an
// exclusive lock): why Family::with() keeps a string-keyed index in front.
void BM_PrometheusAddLookup(benchmark::State& state) {
  static prometheus::Registry r;
  static auto& family = prometheus::BuildCounter().Name("req_total").Help("r").Register(r);
  for (auto _ : state) {
    family.Add({{"method", "GET"}, {"route", "/{collection}/users"}, {"status", "200"}})
        .Increment();
  }
}
BENCHMARK(BM_PrometheusAddLookup)->ThreadRange(1, 2);

}  // namespace
}  // namespace storefront::obs
