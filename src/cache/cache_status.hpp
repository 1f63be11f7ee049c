#pragma once

#include <string_view>

#include "cache/circuit_breaker.hpp"

namespace storefront::cache {

// The live state of the response cache, for GET / and readiness.
struct CacheStatus {
  bool configured = false;  // REDIS_URL / REDIS_CLUSTER_NODES given
  bool enabled = false;     // configured and the breaker is not open
  BreakerState breaker = BreakerState::kClosed;
  std::string_view mode = "none";  // "standalone" | "cluster" | "none"
};

// What the API may ask of the cache beyond reads: its state.
class CacheStatusSource {
 public:
  virtual ~CacheStatusSource() = default;
  virtual CacheStatus status() const = 0;
};

}  // namespace storefront::cache
