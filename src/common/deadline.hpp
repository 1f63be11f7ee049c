#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace storefront {

using Clock = std::chrono::steady_clock;

// The point in time by which a request must be answered. Carried from the
// HTTP layer down to MongoDB (maxTimeMS) and Redis (command timeout).
class Deadline {
 public:
  explicit Deadline(Clock::time_point at) : at_(at) {}
  static Deadline after(std::chrono::milliseconds budget) {
    return Deadline(Clock::now() + budget);
  }

  Clock::time_point at() const { return at_; }
  bool expired() const { return Clock::now() >= at_; }

  // Remaining budget in whole milliseconds, never below `floor` so that a
  // nearly-expired request still gets a well-formed timeout downstream.
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 takes this 1 for a null pointer
  std::int64_t remaining_ms(std::int64_t floor = 1) const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now()).count();
    return std::max<std::int64_t>(left, floor);
  }

  // The tighter of this deadline and `now + cap`.
  Deadline capped(std::chrono::milliseconds cap) const {
    return Deadline(std::min(at_, Clock::now() + cap));
  }

 private:
  Clock::time_point at_;
};

}  // namespace storefront
