#include "cache/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace storefront::cache {
namespace {

using std::chrono::milliseconds;
using Permit = CircuitBreaker::Permit;

struct FakeClock {
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
  NowFn fn() {
    return [this] { return now; };
  }
};

class BreakerTest : public ::testing::Test {
 protected:
  FakeClock clock;
  std::vector<BreakerState> changes;
  CircuitBreaker breaker{CircuitBreaker::Options{3, milliseconds(2000)}, clock.fn(),
                         [this](BreakerState s) { changes.push_back(s); }};

  void fail_times(int n) {
    for (int i = 0; i < n; ++i) {
      auto p = breaker.acquire();
      ASSERT_EQ(p, Permit::kNormal);
      breaker.record(p, false);
    }
  }
};

TEST_F(BreakerTest, OpensAfterConsecutiveFailures) {
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  fail_times(2);
  breaker.record(breaker.acquire(), true);  // a success resets the count
  fail_times(2);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  fail_times(1);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.acquire(), Permit::kDenied);
  EXPECT_EQ(changes, (std::vector{BreakerState::kClosed, BreakerState::kOpen}));
}

TEST_F(BreakerTest, HalfOpenAdmitsOneProbeThenCloses) {
  fail_times(3);
  clock.now += milliseconds(1999);
  EXPECT_EQ(breaker.acquire(), Permit::kDenied);
  clock.now += milliseconds(1);
  auto probe = breaker.acquire();
  EXPECT_EQ(probe, Permit::kProbe);
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker.acquire(), Permit::kDenied);  // only one probe
  EXPECT_EQ(breaker.acquire(), Permit::kDenied);
  breaker.record(probe, true);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_EQ(breaker.acquire(), Permit::kNormal);
  EXPECT_EQ(changes, (std::vector{BreakerState::kClosed, BreakerState::kOpen,
                                  BreakerState::kHalfOpen, BreakerState::kClosed}));
}

TEST_F(BreakerTest, FailedProbeReopensForAnotherCooldown) {
  fail_times(3);
  clock.now += milliseconds(2000);
  auto probe = breaker.acquire();
  ASSERT_EQ(probe, Permit::kProbe);
  breaker.record(probe, false);
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  clock.now += milliseconds(1000);
  EXPECT_EQ(breaker.acquire(), Permit::kDenied);
  clock.now += milliseconds(1000);
  EXPECT_EQ(breaker.acquire(), Permit::kProbe);
}

TEST_F(BreakerTest, LostProbeIsReplacedAfterCooldown) {
  fail_times(3);
  clock.now += milliseconds(2000);
  ASSERT_EQ(breaker.acquire(), Permit::kProbe);  // never reports back
  clock.now += milliseconds(1999);
  EXPECT_EQ(breaker.acquire(), Permit::kDenied);
  clock.now += milliseconds(1);
  EXPECT_EQ(breaker.acquire(), Permit::kProbe);
}

TEST_F(BreakerTest, StaleResultsAreIgnored) {
  auto slow = breaker.acquire();  // admitted while closed
  fail_times(3);
  ASSERT_EQ(breaker.state(), BreakerState::kOpen);
  breaker.record(slow, true);  // does not close an open breaker
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  clock.now += milliseconds(2000);
  auto probe = breaker.acquire();
  ASSERT_EQ(probe, Permit::kProbe);
  breaker.record(Permit::kNormal, true);  // not the probe
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  breaker.record(probe, true);
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
}

TEST(BreakerNames, ToString) {
  EXPECT_STREQ(to_string(BreakerState::kClosed), "closed");
  EXPECT_STREQ(to_string(BreakerState::kHalfOpen), "half_open");
  EXPECT_STREQ(to_string(BreakerState::kOpen), "open");
}

}  // namespace
}  // namespace storefront::cache
