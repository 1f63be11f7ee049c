// Cache hot path pieces: the key of GET /{c}/users, its cluster slot, and an
// L1 hit (what a cached request costs in-process before any I/O).
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>

#include "cache/lru_cache.hpp"
#include "cache/response_cache.hpp"
#include "redis/key_slot.hpp"

namespace storefront::cache {
namespace {

void BM_UsersListKey(benchmark::State& state) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    CacheKey k = users_list_key("somedb", "helloDoc");
    bytes += k.key.size();
    benchmark::DoNotOptimize(k);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_UsersListKey);

void BM_GenerationKey(benchmark::State& state) {
  for (auto _ : state) {
    std::string k = generation_key("somedb.helloDoc");
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_GenerationKey);

void BM_KeySlot(benchmark::State& state) {
  const std::string key = users_list_key("somedb", "helloDoc").key;
  for (auto _ : state) benchmark::DoNotOptimize(redis::key_slot(key));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * key.size()));
}
BENCHMARK(BM_KeySlot);

// L1 lookup of a 50 KB body: one mutex, one hash lookup, a shared_ptr copy.
void BM_L1Hit(benchmark::State& state) {
  LruCache l1(64, std::chrono::seconds(60));
  const std::string key = users_list_key("somedb", "helloDoc").key;
  l1.put(key, 1, std::make_shared<const std::string>(50 * 1024, 'x'));
  for (auto _ : state) {
    auto v = l1.get(key, 1);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_L1Hit)->Threads(1)->Threads(2);

// What the handler does with a hit today: copy the body into the response.
void BM_CopyCachedBody50K(benchmark::State& state) {
  const auto body = std::make_shared<const std::string>(50 * 1024, 'x');
  for (auto _ : state) {
    std::string copy = *body;
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body->size()));
}
BENCHMARK(BM_CopyCachedBody50K);

}  // namespace
}  // namespace storefront::cache
