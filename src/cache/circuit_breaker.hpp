#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "common/deadline.hpp"
#include "common/now_fn.hpp"

namespace storefront::cache {

// Numeric values are those of the storefront_cache_breaker_state gauge.
enum class BreakerState { kClosed = 0, kHalfOpen = 1, kOpen = 2 };
const char* to_string(BreakerState state);  // "closed" | "half_open" | "open"

// closed --N consecutive failures--> open --cool-down--> half_open
// half_open: one probe call; success -> closed, failure -> open again.
// Thread-safe. Results of calls admitted in an earlier state are ignored, so a
// slow call that started before the breaker opened cannot close it.
class CircuitBreaker {
 public:
  struct Options {
    int failure_threshold = 5;
    std::chrono::milliseconds cooldown{2000};
  };
  enum class Permit { kDenied, kNormal, kProbe };

  explicit CircuitBreaker(Options options, NowFn now = {},
                          std::function<void(BreakerState)> on_change = {});

  // Whether a call may go to Redis now. In half_open only one caller gets
  // kProbe; if its result never comes back, another probe is allowed after a
  // further cool-down.
  Permit acquire();
  // Reports the outcome of an admitted call.
  void record(Permit permit, bool success);
  BreakerState state() const;

 private:
  void transition(BreakerState next, Clock::time_point now);  // mutex_ held

  const Options options_;
  const NowFn now_;
  const std::function<void(BreakerState)> on_change_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::kClosed;
  int failures_ = 0;
  Clock::time_point open_until_{};
  Clock::time_point probe_started_{};
  bool probe_in_flight_ = false;
};

}  // namespace storefront::cache
