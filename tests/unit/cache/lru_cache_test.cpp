#include "cache/lru_cache.hpp"

#include <gtest/gtest.h>

namespace storefront::cache {
namespace {

using std::chrono::milliseconds;

struct FakeClock {
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(1);
  NowFn fn() {
    return [this] { return now; };
  }
};

LruCache::Value v(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

TEST(LruCache, EvictsLeastRecentlyUsed) {
  FakeClock clock;
  LruCache cache(2, milliseconds(1000), clock.fn());
  cache.put("a", 0, v("A"));
  cache.put("b", 0, v("B"));
  ASSERT_NE(cache.get("a", 0), nullptr);  // a is now the most recent
  cache.put("c", 0, v("C"));              // evicts b
  EXPECT_EQ(cache.size(), 2U);
  EXPECT_EQ(cache.get("b", 0), nullptr);
  EXPECT_EQ(*cache.get("a", 0), "A");
  EXPECT_EQ(*cache.get("c", 0), "C");
}

TEST(LruCache, ReplacesExistingKey) {
  FakeClock clock;
  LruCache cache(2, milliseconds(1000), clock.fn());
  cache.put("a", 0, v("A1"));
  cache.put("a", 0, v("A2"));
  EXPECT_EQ(cache.size(), 1U);
  EXPECT_EQ(*cache.get("a", 0), "A2");
}

TEST(LruCache, ExpiresAfterTtl) {
  FakeClock clock;
  LruCache cache(4, milliseconds(1000), clock.fn());
  cache.put("a", 0, v("A"));
  clock.now += milliseconds(999);
  EXPECT_NE(cache.get("a", 0), nullptr);
  clock.now += milliseconds(1);
  EXPECT_EQ(cache.get("a", 0), nullptr);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(LruCache, OtherGenerationIsAMiss) {
  FakeClock clock;
  LruCache cache(4, milliseconds(1000), clock.fn());
  cache.put("a", 1, v("A"));
  EXPECT_EQ(cache.get("a", 2), nullptr);
  EXPECT_EQ(cache.get("a", 1), nullptr);  // dropped on the mismatch
}

TEST(LruCache, EraseAndZeroCapacity) {
  LruCache cache(4, milliseconds(1000));
  cache.put("a", 0, v("A"));
  cache.erase("a");
  EXPECT_EQ(cache.get("a", 0), nullptr);
  LruCache off(0, milliseconds(1000));
  off.put("a", 0, v("A"));
  EXPECT_EQ(off.size(), 0U);
}

}  // namespace
}  // namespace storefront::cache
