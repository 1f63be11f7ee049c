// Request routing and body validation, run for every request.
#include <benchmark/benchmark.h>

#include "api/router.hpp"
#include "api/validation.hpp"

namespace storefront::api {
namespace {

void BM_MatchRoute(benchmark::State& state) {
  for (auto _ : state) {
    auto m = match_route("/helloDoc/users/ly123?x=1");
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_MatchRoute);

void BM_CollectionNameCheck(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(collection_name_problem("helloDoc"));
}
BENCHMARK(BM_CollectionNameCheck);

void BM_ParseNewUser(benchmark::State& state) {
  for (auto _ : state) {
    auto u = parse_new_user(R"({"age": 42, "name": "ly42", "extra": [1, 2, 3]})");
    benchmark::DoNotOptimize(u);
  }
}
BENCHMARK(BM_ParseNewUser);

}  // namespace
}  // namespace storefront::api
