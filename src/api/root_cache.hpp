#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "common/deadline.hpp"
#include "store/deployment_store.hpp"

namespace storefront::api {

// The deployment description behind GET / for a few seconds
// (STOREFRONT_ROOT_CACHE_MS): describing counts every listed collection, so
// a public, uncached / would let any client put that load on MongoDB at will.
// Within the TTL, / is rendered on the I/O thread without a worker; the
// instance's own state (cache breaker) is still rendered live.
class RootCache {
 public:
  using Info = std::shared_ptr<const store::DeploymentInfo>;

  explicit RootCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  // The description taken less than ttl ago, or null (always when ttl is 0).
  Info fresh(Clock::time_point now) const;
  void store(Info info, Clock::time_point now);

 private:
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  Info info_;
  Clock::time_point expires_{};
};

}  // namespace storefront::api
