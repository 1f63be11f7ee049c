#include "cache/response_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "obs/metrics.hpp"
#include "redis/key_slot.hpp"

namespace storefront::cache {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// An in-memory RedisClient that can be told to fail. Shared by reference so a
// test can inspect it after handing ownership to the cache.
struct FakeRedisState {
  std::mutex mutex;
  std::map<std::string, std::string, std::less<>> data;
  std::map<std::string, seconds, std::less<>> ttls;
  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  std::atomic<bool> hold_sets{false};  // SET waits while true (a slow background write)
};

class FakeRedis : public redis::RedisClient {
 public:
  explicit FakeRedis(std::shared_ptr<FakeRedisState> s) : s_(std::move(s)) {}
  Result<std::optional<std::string>> get(std::string_view key, Deadline) override {
    if (auto e = call()) return *e;
    std::lock_guard lock(s_->mutex);
    auto it = s_->data.find(key);
    if (it == s_->data.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Result<std::vector<std::optional<std::string>>> mget(std::span<const std::string_view> keys,
                                                       Deadline) override {
    if (auto e = call()) return *e;
    std::lock_guard lock(s_->mutex);
    std::vector<std::optional<std::string>> out;
    for (auto k : keys) {
      auto it = s_->data.find(k);
      out.push_back(it == s_->data.end() ? std::nullopt : std::optional(it->second));
    }
    return out;
  }
  Status set(std::string_view key, std::string_view value, seconds ttl, Deadline) override {
    while (s_->hold_sets) std::this_thread::sleep_for(milliseconds(1));
    if (auto e = call()) return *e;
    std::lock_guard lock(s_->mutex);
    s_->data[std::string(key)] = std::string(value);
    s_->ttls[std::string(key)] = ttl;
    return ok_status();
  }
  Status del(std::string_view key, Deadline) override {
    if (auto e = call()) return *e;
    std::lock_guard lock(s_->mutex);
    s_->data.erase(std::string(key));
    return ok_status();
  }
  Result<std::int64_t> incr(std::string_view key, Deadline) override {
    if (auto e = call()) return *e;
    std::lock_guard lock(s_->mutex);
    auto& v = s_->data[std::string(key)];
    auto n = (v.empty() ? 0 : std::stoll(v)) + 1;
    v = std::to_string(n);
    return static_cast<std::int64_t>(n);
  }
  Status ping(Deadline) override { return call() ? Status(Error{}) : ok_status(); }
  std::string_view mode() const override { return "standalone"; }

 private:
  std::optional<Error> call() {
    s_->calls++;
    if (s_->failing) return Error{ErrorKind::kUnavailable, "fake: down"};
    return std::nullopt;
  }
  std::shared_ptr<FakeRedisState> s_;
};

struct FakeClock {
  std::atomic<Clock::time_point> now{Clock::now()};
  NowFn fn() {
    return [this] { return now.load(); };
  }
  void advance(milliseconds d) { now = now.load() + d; }
};

Deadline soon() {
  return Deadline::after(milliseconds(2000));
}

class ResponseCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<ResponseCache> make(CacheSettings settings = {}) {
    return std::make_unique<ResponseCache>(std::make_unique<FakeRedis>(state), settings, registry,
                                           clock.fn());
  }
  double metric(std::string_view name) {
    auto text = registry.render();
    auto pos = text.find(std::string("\n") + std::string(name) + " ");
    if (pos == std::string::npos) return -1;
    return std::stod(text.substr(pos + name.size() + 2));
  }

  std::shared_ptr<FakeRedisState> state = std::make_shared<FakeRedisState>();
  obs::Registry registry;
  FakeClock clock;
  const CacheKey key = users_list_key("somedb", "helloDoc");
};

TEST(CacheKeys, Format) {
  auto k = users_list_key("somedb", "helloDoc");
  EXPECT_EQ(k.key, "storefront:v1:{somedb.helloDoc}:users");
  EXPECT_EQ(k.scope, "somedb.helloDoc");
  EXPECT_EQ(generation_key(k.scope), "storefront:v1:{somedb.helloDoc}:gen");
  EXPECT_EQ(redis::key_slot(k.key), redis::key_slot(generation_key(k.scope)));
  EXPECT_STREQ(to_string(CacheOutcome::kHit), "HIT");
  EXPECT_STREQ(to_string(CacheOutcome::kMiss), "MISS");
  EXPECT_STREQ(to_string(CacheOutcome::kBypass), "BYPASS");
}

TEST_F(ResponseCacheTest, MissThenHit) {
  auto cache = make();
  int loads = 0;
  auto loader = [&](Deadline) -> Result<std::string> {
    ++loads;
    return std::string(R"({"users":[]})");
  };
  auto first = cache->get_or_load(key, soon(), loader);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(*first->body, R"({"users":[]})");
  cache->flush_writes();
  {
    std::lock_guard lock(state->mutex);
    // Stamped with the Redis generation and the wall-clock end of its freshness.
    EXPECT_EQ(state->data[key.key].rfind("{\"users\":[]}\n0 ", 0), 0u) << state->data[key.key];
  }
  auto second = cache->get_or_load(key, soon(), loader);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->outcome, CacheOutcome::kHit);
  EXPECT_FALSE(second->from_l1);
  EXPECT_EQ(*second->body, R"({"users":[]})");
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(metric("storefront_cache_hits_total"), 1);
  EXPECT_EQ(metric("storefront_cache_misses_total"), 1);
  EXPECT_EQ(metric("storefront_cache_bypass_total"), 0);
  EXPECT_EQ(metric("storefront_cache_breaker_state"), 0);
}

TEST_F(ResponseCacheTest, CallerJoiningAFinishedLoadIsAHit) {
  auto cache = make();
  int loads = 0;
  auto loader = [&](Deadline) -> Result<std::string> {
    ++loads;
    return std::string("body");
  };
  state->hold_sets = true;  // the entry is not in Redis yet
  EXPECT_EQ(cache->get_or_load(key, soon(), loader)->outcome, CacheOutcome::kMiss);
  // Joins the completed flight (kept until its SET lands): served from memory.
  auto second = cache->get_or_load(key, soon(), loader);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->outcome, CacheOutcome::kHit);
  EXPECT_EQ(*second->body, "body");
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(metric("storefront_cache_hits_total"), 1);
  EXPECT_EQ(metric("storefront_cache_misses_total"), 1);
  state->hold_sets = false;
  cache->flush_writes();
}

TEST_F(ResponseCacheTest, InvalidateMakesNextReadMiss) {
  auto cache = make();
  int loads = 0;
  auto loader = [&](Deadline) -> Result<std::string> { return "v" + std::to_string(++loads); };
  ASSERT_TRUE(cache->get_or_load(key, soon(), loader).ok());
  cache->flush_writes();
  ASSERT_TRUE(cache->invalidate("somedb", "helloDoc", soon()).ok());
  auto r = cache->get_or_load(key, soon(), loader);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(*r->body, "v2");
  cache->flush_writes();
  EXPECT_EQ(cache->get_or_load(key, soon(), loader)->outcome, CacheOutcome::kHit);
}

TEST_F(ResponseCacheTest, EntryStampedBeforeAnotherInstancesWriteIsIgnored) {
  // Instance A stores an entry; instance B (sharing Redis) then bumps the
  // generation without deleting it (as if its DEL raced with A's SET).
  auto a = make();
  auto loader = [](Deadline) -> Result<std::string> { return std::string("old"); };
  ASSERT_TRUE(a->get_or_load(key, soon(), loader).ok());
  a->flush_writes();
  {
    std::lock_guard lock(state->mutex);
    state->data[generation_key(key.scope)] = "1";
  }
  auto fresh = [](Deadline) -> Result<std::string> { return std::string("new"); };
  auto r = a->get_or_load(key, soon(), fresh);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(*r->body, "new");
}

TEST_F(ResponseCacheTest, WriteDuringLoadIsNotCachedStale) {
  auto cache = make();
  std::atomic<bool> in_loader{false}, release{false};
  std::thread reader([&] {
    auto r = cache->get_or_load(key, soon(), [&](Deadline) -> Result<std::string> {
      in_loader = true;
      while (!release) std::this_thread::yield();
      return std::string("read-before-write");
    });
    ASSERT_TRUE(r.ok());
  });
  while (!in_loader) std::this_thread::yield();
  ASSERT_TRUE(cache->invalidate("somedb", "helloDoc", soon()).ok());  // the write completes
  // A read that starts after the write does not join the older load.
  auto after = cache->get_or_load(
      key, soon(), [](Deadline) -> Result<std::string> { return std::string("read-after-write"); });
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after->body, "read-after-write");
  release = true;
  reader.join();
  cache->flush_writes();
  auto next = cache->get_or_load(key, soon(),
                                 [](Deadline) -> Result<std::string> { return std::string("x"); });
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next->body, "read-after-write");  // never the stale "read-before-write"
}

TEST_F(ResponseCacheTest, SingleFlightManyThreadsOneLoad) {
  auto cache = make();
  std::atomic<int> loads{0};
  constexpr int kThreads = 32;
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(kThreads);
  std::atomic<int> ready{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready++;
      while (ready < kThreads) std::this_thread::yield();
      auto r = cache->get_or_load(key, soon(), [&](Deadline) -> Result<std::string> {
        loads++;
        std::this_thread::sleep_for(milliseconds(100));
        return std::string("body");
      });
      ASSERT_TRUE(r.ok());
      bodies[i] = *r->body;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  for (const auto& b : bodies) EXPECT_EQ(b, "body");
  EXPECT_EQ(metric("storefront_cache_misses_total") + metric("storefront_cache_hits_total"),
            kThreads);
}

TEST_F(ResponseCacheTest, SingleFlightWithoutRedis) {
  ResponseCache cache(nullptr, CacheSettings{}, registry);
  EXPECT_FALSE(cache.status().configured);
  EXPECT_FALSE(cache.status().enabled);
  EXPECT_EQ(cache.status().mode, "none");
  std::atomic<int> loads{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = cache.get_or_load(key, soon(), [&](Deadline) -> Result<std::string> {
        loads++;
        std::this_thread::sleep_for(milliseconds(100));
        return std::string("b");
      });
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->outcome, CacheOutcome::kBypass);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(metric("storefront_cache_bypass_total"), 0);  // not configured: not counted
}

TEST_F(ResponseCacheTest, WaiterIsBoundedByItsDeadline) {
  auto cache = make();
  std::atomic<bool> in_loader{false}, release{false};
  std::thread leader([&] {
    auto r = cache->get_or_load(key, soon(), [&](Deadline) -> Result<std::string> {
      in_loader = true;
      while (!release) std::this_thread::sleep_for(milliseconds(1));
      return std::string("slow");
    });
    EXPECT_TRUE(r.ok());
  });
  while (!in_loader) std::this_thread::yield();
  auto start = Clock::now();
  int follower_loads = 0;
  auto r = cache->get_or_load(key, Deadline::after(milliseconds(50)),
                              [&](Deadline) -> Result<std::string> {
                                ++follower_loads;
                                return std::string("x");
                              });
  auto waited = Clock::now() - start;
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(follower_loads, 0);
  EXPECT_GE(waited, milliseconds(45));
  EXPECT_LT(waited, milliseconds(500));
  release = true;
  leader.join();
}

TEST_F(ResponseCacheTest, LoaderErrorIsSharedAndNotCached) {
  auto cache = make();
  auto r = cache->get_or_load(key, soon(), [](Deadline) -> Result<std::string> {
    return Error{ErrorKind::kUnavailable, "mongo down"};
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "mongo down");
  auto ok = cache->get_or_load(key, soon(),
                               [](Deadline) -> Result<std::string> { return std::string("x"); });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->outcome, CacheOutcome::kMiss);
}

TEST_F(ResponseCacheTest, RedisFailureStillLoadsAndBreakerBypasses) {
  CacheSettings settings;
  settings.breaker_failures = 5;
  settings.breaker_cooldown = milliseconds(2000);
  auto cache = make(settings);
  state->failing = true;
  int loads = 0;
  auto loader = [&](Deadline) -> Result<std::string> {
    ++loads;
    return std::string("from-db");
  };
  for (int i = 0; i < 5; ++i) {
    auto r = cache->get_or_load(key, soon(), loader);
    ASSERT_TRUE(r.ok());  // the cache never fails the request
    EXPECT_EQ(r->outcome, CacheOutcome::kBypass);
    EXPECT_EQ(*r->body, "from-db");
  }
  EXPECT_EQ(cache->status().breaker, BreakerState::kOpen);
  EXPECT_FALSE(cache->status().enabled);
  EXPECT_EQ(metric("storefront_cache_breaker_state"), 2);
  EXPECT_EQ(metric("storefront_cache_errors_total"), 5);
  int calls = state->calls;
  for (int i = 0; i < 10; ++i) {
    auto r = cache->get_or_load(key, soon(), loader);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, CacheOutcome::kBypass);
  }
  EXPECT_EQ(state->calls, calls);  // open: Redis not touched
  EXPECT_EQ(loads, 15);
  EXPECT_EQ(metric("storefront_cache_bypass_total"), 15);

  // Cool-down over, Redis back: the probe succeeds and closes the breaker.
  state->failing = false;
  clock.advance(milliseconds(2000));
  auto probe = cache->get_or_load(key, soon(), loader);
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(cache->status().breaker, BreakerState::kClosed);
  EXPECT_TRUE(cache->status().enabled);
  EXPECT_EQ(metric("storefront_cache_breaker_state"), 0);
}

TEST_F(ResponseCacheTest, InvalidateWhenRedisDownReportsButDoesNotThrow) {
  auto cache = make();
  state->failing = true;
  auto st = cache->invalidate("somedb", "helloDoc", soon());
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(state->calls, 1);  // one round trip, not INCR + DEL
}

TEST_F(ResponseCacheTest, ExpiredDeadlineSkipsRedisButInvalidationDoesNot) {
  auto cache = make();
  Deadline past(Clock::now() - milliseconds(1));
  auto r = cache->get_or_load(key, past,
                              [](Deadline) -> Result<std::string> { return std::string("x"); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, CacheOutcome::kBypass);
  EXPECT_EQ(state->calls, 0);
  EXPECT_EQ(metric("storefront_cache_errors_total"), 0);
  // The write happened; its invalidation gets its own budget.
  EXPECT_TRUE(cache->invalidate("somedb", "helloDoc", past).ok());
  EXPECT_EQ(state->calls, 2);  // INCR + DEL
}

TEST_F(ResponseCacheTest, L1ServesHitsAndIsInvalidated) {
  CacheSettings settings;
  settings.l1_size = 16;
  settings.l1_ttl = milliseconds(500);
  auto cache = make(settings);
  int loads = 0;
  auto loader = [&](Deadline) -> Result<std::string> { return "v" + std::to_string(++loads); };
  ASSERT_EQ(cache->get_or_load(key, soon(), loader)->outcome, CacheOutcome::kMiss);
  cache->flush_writes();
  int calls = state->calls;
  auto hit = cache->get_or_load(key, soon(), loader);
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->outcome, CacheOutcome::kHit);
  EXPECT_TRUE(hit->from_l1);
  EXPECT_EQ(state->calls, calls);  // Redis not asked

  clock.advance(milliseconds(500));  // L1 TTL over: Redis hit, refills L1
  auto redis_hit = cache->get_or_load(key, soon(), loader);
  EXPECT_EQ(redis_hit->outcome, CacheOutcome::kHit);
  EXPECT_FALSE(redis_hit->from_l1);
  EXPECT_TRUE(cache->get_or_load(key, soon(), loader)->from_l1);

  ASSERT_TRUE(cache->invalidate("somedb", "helloDoc", soon()).ok());
  auto after = cache->get_or_load(key, soon(), loader);
  EXPECT_EQ(after->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(*after->body, "v2");
}

TEST_F(ResponseCacheTest, StatusReportsMode) {
  auto cache = make();
  auto s = cache->status();
  EXPECT_TRUE(s.configured);
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.mode, "standalone");
  EXPECT_EQ(s.breaker, BreakerState::kClosed);
}

}  // namespace
}  // namespace storefront::cache

namespace storefront::cache {
namespace {

// Stale-if-error: a current entry past its freshness, seeded as another
// instance would have stored it ("<body>\n<generation> <fresh until ms>").
class StaleIfErrorTest : public ResponseCacheTest {
 protected:
  void SetUp() override {
    std::lock_guard lock(state->mutex);
    state->data[key.key] = "{\"users\":[\"old\"]}\n0 1";  // fresh until 1970
  }
  // A lambda object: FunctionRef refers to callables, not function pointers.
  const std::function<Result<std::string>(Deadline)> down = [](Deadline) -> Result<std::string> {
    return Error{ErrorKind::kUnavailable, "no server"};
  };
  const LoadOptions stale_ok{seconds(60), seconds(600), false};
};

TEST_F(StaleIfErrorTest, ServesTheExpiredEntryWhenTheDatabaseIsDown) {
  auto cache = make();
  auto served = cache->get_or_load(key, stale_ok, soon(), down);
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(served->outcome, CacheOutcome::kStale);
  EXPECT_EQ(*served->body, R"({"users":["old"]})");
  EXPECT_STREQ(to_string(CacheOutcome::kStale), "STALE");
  EXPECT_EQ(metric("storefront_cache_stale_total"), 1);
}

TEST_F(StaleIfErrorTest, TimeoutsCountAsDownOtherErrorsDoNot) {
  auto cache = make();
  auto timed_out = cache->get_or_load(key, stale_ok, soon(), [](Deadline) -> Result<std::string> {
    return Error{ErrorKind::kTimeout, "slow"};
  });
  ASSERT_TRUE(timed_out.ok());
  EXPECT_EQ(timed_out->outcome, CacheOutcome::kStale);
  auto broken = cache->get_or_load(key, stale_ok, soon(), [](Deadline) -> Result<std::string> {
    return Error{ErrorKind::kInternal, "bug"};
  });
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().kind, ErrorKind::kInternal);
}

TEST_F(StaleIfErrorTest, WithoutAWindowTheErrorStands) {
  auto cache = make();
  auto served = cache->get_or_load(key, LoadOptions{seconds(60), seconds(0), false}, soon(), down);
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.error().kind, ErrorKind::kUnavailable);
}

TEST_F(StaleIfErrorTest, AnExpiredEntryIsReloadedWhenTheDatabaseAnswers) {
  auto cache = make();
  auto served = cache->get_or_load(key, stale_ok, soon(), [](Deadline) -> Result<std::string> {
    return std::string(R"({"users":["new"]})");
  });
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(served->outcome, CacheOutcome::kMiss);
  EXPECT_EQ(*served->body, R"({"users":["new"]})");
  cache->flush_writes();
  std::lock_guard lock(state->mutex);
  // Kept in Redis for the stale window beyond its TTL.
  EXPECT_EQ(state->ttls[key.key], seconds(660));
}

TEST_F(StaleIfErrorTest, AnInvalidatedEntryIsNeverServedStale) {
  auto cache = make();
  ASSERT_TRUE(cache->invalidate_scope(key.scope, soon()).ok());  // generation 0 -> 1
  {
    // An entry of generation 0 (the DEL only frees memory; other keys stay).
    std::lock_guard lock(state->mutex);
    state->data[key.key] = "{\"users\":[\"old\"]}\n0 1";
  }
  auto served = cache->get_or_load(key, stale_ok, soon(), down);
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.error().kind, ErrorKind::kUnavailable);
}

}  // namespace
}  // namespace storefront::cache
