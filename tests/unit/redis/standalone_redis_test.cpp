// Standalone redis-server: commands, TTL, reconnects, a paused server, and the
// response cache on top (two "instances" sharing one Redis).

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "cache/response_cache.hpp"
#include "obs/metrics.hpp"
#include "redis/client.hpp"
#include "redis_harness.hpp"

namespace storefront::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::kMargin;
using testing::later;
using testing::redis_command;
using testing::timed;

class StandaloneRedisTest : public testing::StandaloneRedisFixture {
 protected:
  std::string redis(const std::vector<std::string>& args) {
    return redis_command(port_, args).value_or("(connection failed)");
  }
};

TEST_F(StandaloneRedisTest, GetSetDelIncrMgetPingTtl) {
  auto client = make_redis_client(config(), registry_);
  EXPECT_EQ(client->mode(), "standalone");
  ASSERT_TRUE(client->ping(later()).ok());
  auto missing = client->get("nope", later());
  ASSERT_TRUE(missing.ok()) << missing.error().message;
  EXPECT_FALSE(missing->has_value());

  std::string binary("a\0b\r\nc", 6);
  ASSERT_TRUE(client->set("k", binary, seconds(60), later()).ok());
  auto got = client->get("k", later());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), binary);
  auto ttl = std::stoi(redis({"TTL", "k"}));
  EXPECT_GT(ttl, 55);
  EXPECT_LE(ttl, 60);

  std::array<std::string_view, 3> keys{"k", "nope", "k"};
  auto values = client->mget(keys, later());
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 3U);
  EXPECT_EQ((*values)[0], binary);
  EXPECT_FALSE((*values)[1].has_value());

  EXPECT_EQ(client->incr("n", later()).value(), 1);
  EXPECT_EQ(client->incr("n", later()).value(), 2);
  auto wrong = client->incr("k", later());  // not an integer
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, ErrorKind::kInternal);

  ASSERT_TRUE(client->del("k", later()).ok());
  EXPECT_FALSE(client->get("k", later())->has_value());

  // A key with a 1 s TTL is gone after it.
  ASSERT_TRUE(client->set("short", "x", seconds(1), later()).ok());
  EXPECT_TRUE(client->get("short", later())->has_value());
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_FALSE(client->get("short", later())->has_value());

  auto text = registry_.render();
  EXPECT_NE(text.find("storefront_redis_command_duration_seconds_count{command=\"get\"}"),
            std::string::npos);
}

TEST_F(StandaloneRedisTest, ManyThreadsShareASmallPool) {
  auto c = config();
  c.pool_size = 2;
  c.command_timeout = milliseconds(1000);
  auto client = make_redis_client(c, registry_);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto key = "t" + std::to_string(t) + ":" + std::to_string(i);
        if (!client->set(key, key, seconds(60), later()).ok()) failures++;
        auto v = client->get(key, later());
        if (!v.ok() || v.value() != key) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto clients = redis({"CLIENT", "LIST"});
  EXPECT_LE(std::count(clients.begin(), clients.end(), '\n'), 3);  // 2 pooled + this one
}

TEST_F(StandaloneRedisTest, ReconnectsAfterServerRestart) {
  auto client = make_redis_client(config(), registry_);
  ASSERT_TRUE(client->set("k", "v", seconds(60), later()).ok());
  server_->kill9();
  for (int i = 0; i < 5; ++i) {
    Result<std::optional<std::string>> r = std::optional<std::string>();
    auto took = timed([&] { r = client->get("k", later()); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable) << r.error().message;
    EXPECT_LT(took, milliseconds(50) + kMargin);
  }
  ASSERT_TRUE(server_->start());
  // The pooled connections are dead; the client reconnects lazily.
  auto end = Clock::now() + seconds(2);
  bool ok = false;
  while (!ok && Clock::now() < end) {
    ok = client->set("k", "v2", seconds(60), later()).ok();
    if (!ok) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(ok);
  EXPECT_EQ(client->get("k", later()).value(), "v2");
}

TEST_F(StandaloneRedisTest, PausedServerTimesOutAndBreakerBypasses) {
  auto c = config();
  c.command_timeout = milliseconds(50);
  auto client = make_redis_client(c, registry_);
  ASSERT_TRUE(client->set("k", "v", seconds(60), later()).ok());
  server_->pause();  // SIGSTOP: connections accept, nothing answers
  for (int i = 0; i < 3; ++i) {
    Result<std::optional<std::string>> r = std::optional<std::string>();
    auto took = timed([&] { r = client->get("k", later()); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().message;
    EXPECT_GE(took, milliseconds(45));
    EXPECT_LT(took, milliseconds(50) + kMargin);
  }
  // A tighter request deadline wins over the command timeout.
  {
    Result<std::optional<std::string>> r = std::optional<std::string>();
    auto took = timed([&] { r = client->get("k", Deadline::after(milliseconds(10))); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
    EXPECT_LT(took, milliseconds(10) + kMargin);
  }
  server_->resume();

  // The same through ResponseCache: 5 timeouts open the breaker, then Redis is bypassed.
  cache::CacheSettings settings;
  settings.breaker_failures = 5;
  settings.breaker_cooldown = milliseconds(500);
  obs::Registry cache_registry;
  cache::ResponseCache cache(make_redis_client(c, cache_registry), settings, cache_registry);
  auto key = cache::users_list_key("db", "coll");
  int loads = 0;
  auto loader = [&](Deadline) -> Result<std::string> {
    ++loads;
    return std::string("body");
  };
  ASSERT_EQ(cache.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kMiss);
  cache.flush_writes();
  ASSERT_EQ(cache.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kHit);

  server_->pause();
  for (int i = 0; i < 5; ++i) {
    Result<cache::CachedResponse> r = Error{};
    auto took = timed([&] { r = cache.get_or_load(key, later(), loader); });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, cache::CacheOutcome::kBypass);
    EXPECT_LT(took, milliseconds(50) + kMargin);
  }
  EXPECT_EQ(cache.status().breaker, cache::BreakerState::kOpen);
  EXPECT_FALSE(cache.status().enabled);
  for (int i = 0; i < 20; ++i) {
    Result<cache::CachedResponse> r = Error{};
    auto took = timed([&] { r = cache.get_or_load(key, later(), loader); });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->outcome, cache::CacheOutcome::kBypass);
    EXPECT_LT(took, milliseconds(5));  // Redis not touched
  }
  EXPECT_EQ(loads, 1 + 5 + 20);

  server_->resume();
  std::this_thread::sleep_for(milliseconds(550));
  auto probe = cache.get_or_load(key, later(), loader);  // half-open probe
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->outcome, cache::CacheOutcome::kHit);
  EXPECT_EQ(cache.status().breaker, cache::BreakerState::kClosed);
  auto text = cache_registry.render();
  EXPECT_NE(text.find("storefront_cache_bypass_total 25"), std::string::npos) << text;
  EXPECT_NE(text.find("storefront_cache_errors_total 5"), std::string::npos) << text;
  EXPECT_NE(text.find("storefront_cache_breaker_state 0"), std::string::npos) << text;
}

TEST_F(StandaloneRedisTest, ResponseCacheMissHitTtlAndInvalidationAcrossInstances) {
  // Two ResponseCaches on one Redis stand for two storefront instances.
  obs::Registry registry_b;
  cache::CacheSettings settings;
  settings.ttl = seconds(1);
  cache::ResponseCache a(make_redis_client(config(), registry_), settings, registry_);
  cache::ResponseCache b(make_redis_client(config(), registry_b), settings, registry_b);
  EXPECT_EQ(a.status().mode, "standalone");
  auto key = cache::users_list_key("somedb", "helloDoc");
  std::string db_state = "v1";
  auto loader = [&](Deadline) -> Result<std::string> { return db_state; };

  EXPECT_EQ(a.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kMiss);
  a.flush_writes();
  auto hit = b.get_or_load(key, later(), loader);
  EXPECT_EQ(hit->outcome, cache::CacheOutcome::kHit);
  EXPECT_EQ(*hit->body, "v1");

  // A write through B: A's next read sees it.
  db_state = "v2";
  ASSERT_TRUE(b.invalidate("somedb", "helloDoc", later()).ok());
  auto after = a.get_or_load(key, later(), loader);
  EXPECT_EQ(after->outcome, cache::CacheOutcome::kMiss);
  EXPECT_EQ(*after->body, "v2");
  a.flush_writes();
  EXPECT_EQ(b.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kHit);

  // Cross-instance race: instance C reads the (empty) cache and loads before
  // B's write, but stores after B's invalidation. Its entry carries the old
  // generation and every instance ignores it.
  obs::Registry registry_c;
  cache::ResponseCache c(make_redis_client(config(), registry_c), settings, registry_c);
  ASSERT_TRUE(b.invalidate("somedb", "helloDoc", later()).ok());
  std::atomic<bool> loading{false}, go{false};
  std::thread slow([&] {
    auto r = c.get_or_load(key, later(), [&](Deadline) -> Result<std::string> {
      loading = true;
      while (!go) std::this_thread::sleep_for(milliseconds(1));
      return std::string("read-before-write");
    });
    ASSERT_TRUE(r.ok());
    c.flush_writes();
  });
  while (!loading) std::this_thread::sleep_for(milliseconds(1));
  db_state = "v3";
  ASSERT_TRUE(b.invalidate("somedb", "helloDoc", later()).ok());  // after the write
  go = true;
  slow.join();
  auto stored = redis({"GET", key.key});
  EXPECT_NE(stored.find("read-before-write"), std::string::npos) << stored;  // the race happened
  auto fresh = a.get_or_load(key, later(), loader);
  EXPECT_EQ(fresh->outcome, cache::CacheOutcome::kMiss);
  EXPECT_EQ(*fresh->body, "v3");

  // TTL: the entry expires in Redis.
  a.flush_writes();
  EXPECT_EQ(b.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kHit);
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_EQ(b.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kMiss);
}

class PasswordRedisTest : public StandaloneRedisTest {
  std::vector<std::string> extra_args() override { return {"--requirepass", "s3cret"}; }
};

TEST_F(PasswordRedisTest, AuthAndSelect) {
  auto good = make_redis_client(config(":s3cret@", "/2"), registry_);
  ASSERT_TRUE(good->set("k", "in-db-2", seconds(60), later()).ok());
  obs::Registry r2;
  auto db0 = make_redis_client(config(":s3cret@"), r2);
  auto other = db0->get("k", later());
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_FALSE(other->has_value());
  EXPECT_EQ(good->get("k", later()).value(), "in-db-2");

  obs::Registry r3;
  auto bad = make_redis_client(config(":wrong@"), r3);
  auto denied = bad->get("k", later());
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(denied.error().message.find("AUTH"), std::string::npos) << denied.error().message;
  EXPECT_EQ(denied.error().message.find("wrong"), std::string::npos);
}

}  // namespace
}  // namespace storefront::redis
