// What recording a metric costs on the request path.
#include <benchmark/benchmark.h>

#include "obs/http_metrics.hpp"

namespace storefront::obs {
namespace {

void BM_CounterInc(benchmark::State& state) {
  Registry r;
  auto& c = r.counter("c_total", "c").with({});
  for (auto _ : state) c.inc();
}
BENCHMARK(BM_CounterInc)->ThreadRange(1, 2);

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

// Everything the API records for one request: counter + histogram lookups.
void BM_RecordRequest(benchmark::State& state) {
  static Registry r;
  static HttpMetrics m(r);
  for (auto _ : state) {
    m.requests.with({"GET", "/{collection}/users", "200"}).inc();
    m.duration.with({"/{collection}/users"}).observe(0.0004);
  }
}
BENCHMARK(BM_RecordRequest)->ThreadRange(1, 2);

}  // namespace
}  // namespace storefront::obs
