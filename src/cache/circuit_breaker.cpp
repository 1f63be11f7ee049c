#include "cache/circuit_breaker.hpp"

#include "common/enum_names.hpp"

namespace storefront::cache {

namespace {

constexpr auto kBreakerStateNames =
    enum_names<BreakerState, BreakerState::kOpen>(std::array{"closed", "half_open", "open"});

}  // namespace

const char* to_string(BreakerState state) {
  return kBreakerStateNames.name(state, "closed");
}

CircuitBreaker::CircuitBreaker(Options options, NowFn now,
                               std::function<void(BreakerState)> on_change)
    : options_(options),
      now_(now ? std::move(now) : NowFn([] { return Clock::now(); })),
      on_change_(std::move(on_change)) {
  if (on_change_) on_change_(state_);
}

void CircuitBreaker::transition(BreakerState next, Clock::time_point now) {
  state_ = next;
  failures_ = 0;
  probe_in_flight_ = false;
  if (next == BreakerState::kOpen) open_until_ = now + options_.cooldown;
  if (on_change_) on_change_(next);
}

CircuitBreaker::Permit CircuitBreaker::acquire() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case BreakerState::kClosed:
      return Permit::kNormal;
    case BreakerState::kOpen: {
      auto now = now_();
      if (now < open_until_) return Permit::kDenied;
      transition(BreakerState::kHalfOpen, now);
      probe_in_flight_ = true;
      probe_started_ = now;
      return Permit::kProbe;
    }
    case BreakerState::kHalfOpen: {
      auto now = now_();
      if (probe_in_flight_ && now < probe_started_ + options_.cooldown) return Permit::kDenied;
      probe_in_flight_ = true;
      probe_started_ = now;
      return Permit::kProbe;
    }
  }
  return Permit::kDenied;
}

void CircuitBreaker::record(Permit permit, bool success) {
  if (permit == Permit::kDenied) return;
  std::lock_guard lock(mutex_);
  if (permit == Permit::kProbe) {
    if (state_ != BreakerState::kHalfOpen) return;
    transition(success ? BreakerState::kClosed : BreakerState::kOpen, now_());
    return;
  }
  if (state_ != BreakerState::kClosed) return;
  if (success) {
    failures_ = 0;
  } else if (++failures_ >= options_.failure_threshold) {
    transition(BreakerState::kOpen, now_());
  }
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace storefront::cache
