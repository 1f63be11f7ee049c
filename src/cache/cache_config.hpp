#pragma once

#include <chrono>
#include <cstddef>

namespace storefront::cache {

// Settings of ResponseCache (the Redis connection is in RedisConfig). The
// app fills them from the environment; the defaults are the documented ones.
struct CacheSettings {
  std::chrono::seconds ttl{60};                      // CACHE_TTL_SECONDS
  std::size_t l1_size = 0;                           // CACHE_L1_SIZE, entries; 0 = no L1
  std::chrono::milliseconds l1_ttl{2000};            // CACHE_L1_TTL_MS
  bool async_reads = true;                           // CACHE_ASYNC_READS
  int breaker_failures = 5;                          // CACHE_BREAKER_FAILURES
  std::chrono::milliseconds breaker_cooldown{2000};  // CACHE_BREAKER_COOLDOWN_MS
};

}  // namespace storefront::cache
