// The non-blocking hit path against a real redis-server: AsyncReader on an
// io_context thread (as on storefront's I/O threads), and
// ResponseCache::lookup_async with its fallbacks and the breaker.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "cache/read_through.hpp"
#include "cache/response_cache.hpp"
#include "common/offloader.hpp"
#include "common/worker_pool.hpp"
#include "obs/metrics.hpp"
#include "redis/async_reader.hpp"
#include "redis/client.hpp"
#include "redis/key_slot.hpp"
#include "redis_harness.hpp"

namespace storefront::redis {
namespace {

using std::chrono::milliseconds;
using testing::kMargin;
using testing::later;
using testing::timed;

// Entries the tests write outlive every test.
constexpr std::chrono::seconds kTtl{60};

// An I/O thread, as the HTTP server runs them.
class IoThread {
 public:
  IoThread() : work_(boost::asio::make_work_guard(context_)), thread_([this] { context_.run(); }) {}
  ~IoThread() {
    work_.reset();
    context_.stop();
    thread_.join();
  }
  boost::asio::any_io_executor executor() { return context_.get_executor(); }
  bool runs_here() { return context_.get_executor().running_in_this_thread(); }

  // Runs `start(done)` on the I/O thread and waits for `done(value)`.
  template <class T, class Start>
  T call(Start start) {
    std::promise<T> promise;
    boost::asio::post(context_,
                      [&] { start([&](T value) { promise.set_value(std::move(value)); }); });
    return promise.get_future().get();
  }

 private:
  boost::asio::io_context context_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

class AsyncReaderTest : public testing::StandaloneRedisFixture {
 protected:
  Result<Values> mget(AsyncReader& reader, std::vector<std::string> keys,
                      Deadline deadline = later()) {
    return io_.call<Result<Values>>([&](auto done) {
      std::vector<std::string_view> views(keys.begin(), keys.end());
      const bool routed = reader.mget(io_.executor(), views, key_slot(keys.front()), deadline,
                                      [done](Result<Values> r) { done(std::move(r)); });
      if (!routed) done(Error{ErrorKind::kInternal, "not routed"});
    });
  }

  IoThread io_;
};

// Every slot on the test's server.
class FixedRoute final : public SlotRouter {
 public:
  explicit FixedRoute(int port) : port_(port) {}
  std::optional<RedisNode> node_for_slot(int /*slot*/) const override {
    return RedisNode{"localhost", port_};
  }
  void routes_failed() override {}

 private:
  int port_;
};

TEST_F(AsyncReaderTest, MgetValuesNilsAndPipelining) {
  auto c = config();
  // 200 pipelined MGETs of up to 200 KB: the last ones queue behind the
  // others for longer than the default 50 ms under sanitizers.
  c.command_timeout = std::chrono::seconds(5);
  auto blocking = make_redis_client(c, registry_);
  const std::string big(200000, 'b');  // larger than one socket read
  ASSERT_TRUE(blocking->set("{t}:a", "alpha", kTtl, later()).ok());
  ASSERT_TRUE(blocking->set("{t}:big", big, kTtl, later()).ok());
  FixedRoute route(port_);
  auto reader = make_async_reader(c, route, registry_);

  auto values = mget(*reader, {"{t}:a", "{t}:missing", "{t}:big"});
  ASSERT_TRUE(values.ok()) << values.error().message;
  ASSERT_EQ(values->size(), 3u);
  EXPECT_EQ((*values)[0], "alpha");
  EXPECT_FALSE((*values)[1].has_value());
  EXPECT_EQ((*values)[2], big);

  // Many commands in flight on the thread's one connection: replies in order.
  static constexpr int kCalls = 200;
  auto results = io_.call<std::vector<std::string>>([&](auto done) {
    auto out = std::make_shared<std::vector<std::string>>();
    for (int i = 0; i < kCalls; ++i) {
      const std::array<std::string_view, 2> keys{i % 2 ? "{t}:a" : "{t}:big", "{t}:missing"};
      reader->mget(io_.executor(), keys, key_slot("{t}"), later(), [out, done](Result<Values> r) {
        out->push_back(r.ok() && r->front() ? r->front()->substr(0, 5) : "error");
        if (out->size() == static_cast<std::size_t>(kCalls)) done(*out);
      });
    }
  });
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kCalls));
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(results[i], i % 2 ? "alpha" : "bbbbb") << i;
  EXPECT_NE(
      registry_.render().find("storefront_redis_command_duration_seconds_count{command=\"mget\"}"),
      std::string::npos);
}

TEST_F(AsyncReaderTest, PausedServerTimesOutThenRecovers) {
  auto c = config();
  c.command_timeout = milliseconds(50);
  FixedRoute route(port_);
  auto reader = make_async_reader(c, route, registry_);
  ASSERT_TRUE(mget(*reader, {"k"}).ok());  // connected

  server_->pause();
  for (int i = 0; i < 3; ++i) {
    Result<Values> r = Values{};
    auto took = timed([&] { r = mget(*reader, {"k"}); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kTimeout) << r.error().message;
    EXPECT_GE(took, milliseconds(45));
    EXPECT_LT(took, milliseconds(50) + kMargin);
  }
  // The request deadline wins when it is tighter.
  Result<Values> r = Values{};
  auto took = timed([&] { r = mget(*reader, {"k"}, Deadline::after(milliseconds(10))); });
  ASSERT_FALSE(r.ok());
  EXPECT_LT(took, milliseconds(10) + kMargin);
  server_->resume();
  auto again = mget(*reader, {"k"});
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST_F(AsyncReaderTest, DeadServerFailsFastAndIsReconnected) {
  auto c = config();
  FixedRoute route(port_);
  auto reader = make_async_reader(c, route, registry_);
  ASSERT_TRUE(mget(*reader, {"k"}).ok());
  server_->kill9();
  for (int i = 0; i < 3; ++i) {
    Result<Values> r = Values{};
    auto took = timed([&] { r = mget(*reader, {"k"}); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable) << r.error().message;
    EXPECT_LT(took, milliseconds(50) + kMargin);
  }
  ASSERT_TRUE(server_->start());
  auto again = mget(*reader, {"k"});
  EXPECT_TRUE(again.ok()) << again.error().message;
}

// The connections have no locks: a caller on another thread is refused (the
// cache then falls back to the blocking client) rather than racing the I/O
// thread.
TEST_F(AsyncReaderTest, MgetFromAnotherThreadIsRefused) {
  FixedRoute route(port_);
  auto reader = make_async_reader(config(), route, registry_);
  ASSERT_TRUE(mget(*reader, {"k"}).ok());
  const std::array<std::string_view, 1> keys{"k"};
  bool called = false;
  EXPECT_FALSE(reader->mget(io_.executor(), keys, key_slot("k"), later(),
                            [&](Result<Values>) { called = true; }));
  EXPECT_FALSE(called);
}

// An order prices its items one after the other, the next from the worker
// that loaded the previous one: the Redis read still runs on the request's
// I/O thread, and a hit is answered there without a worker.
TEST_F(AsyncReaderTest, ReadThroughFromAWorkerReadsRedisOnTheIoThread) {
  cache::ResponseCache cache(make_redis_client(config(), registry_), cache::CacheSettings{},
                             registry_);
  WorkerPool pool(1, 16);
  Offloader offloader(pool);
  cache::ReadThrough reads(cache, offloader);
  auto key = cache::users_list_key("db", "coll");
  auto loader = [](Deadline) -> Result<std::string> { return std::string("body"); };
  ASSERT_EQ(cache.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kMiss);
  cache.flush_writes();

  std::promise<std::pair<store::Source, bool>> answered;
  const auto io_thread = io_.executor();
  std::thread elsewhere([&] {
    reads.read(store::Call{later(), io_thread}, key, cache::LoadOptions{}, loader,
               [&](Result<store::Served> served) {
                 const bool on_io = io_.runs_here();
                 answered.set_value({served ? served->source : store::Source::kUncached, on_io});
               });
  });
  elsewhere.join();
  auto [source, on_io_thread] = answered.get_future().get();
  EXPECT_EQ(source, store::Source::kHit);
  EXPECT_TRUE(on_io_thread);
}

class PasswordAsyncReaderTest : public AsyncReaderTest {
  std::vector<std::string> extra_args() override { return {"--requirepass", "s3cret"}; }
};

TEST_F(PasswordAsyncReaderTest, AuthAndSelectBeforeTheFirstCommand) {
  auto c = config(":s3cret@", "/2");
  ASSERT_TRUE(make_redis_client(c, registry_)->set("k", "in-db-2", kTtl, later()).ok());
  FixedRoute route(port_);
  auto reader = make_async_reader(c, route, registry_);
  auto values = mget(*reader, {"k"});
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ(values->front(), "in-db-2");

  auto wrong = make_async_reader(config(":wrong@"), route, registry_);
  auto denied = mget(*wrong, {"k"});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(denied.error().message.find("wrong"), std::string::npos) << denied.error().message;
}

TEST_F(AsyncReaderTest, ResponseCacheHitsMissesFallbacksAndBreaker) {
  auto c = config();
  c.command_timeout = milliseconds(50);
  cache::CacheSettings settings;
  settings.breaker_failures = 3;
  settings.breaker_cooldown = milliseconds(300);
  cache::ResponseCache cache(make_redis_client(c, registry_), settings, registry_);
  obs::Registry registry_b;
  cache::ResponseCache other(make_redis_client(c, registry_b), settings, registry_b);
  ASSERT_TRUE(cache.async_reads());
  auto key = cache::users_list_key("db", "coll");
  auto lookup = [&] {
    return io_.call<cache::ResponseCache::AsyncLookup>(
        [&](auto done) { cache.lookup_async(key, later(), io_.executor(), done); });
  };
  auto loader = [](Deadline) -> Result<std::string> { return std::string("body"); };

  auto miss = lookup();  // nothing stored yet
  EXPECT_FALSE(miss.hit);
  EXPECT_FALSE(miss.skip_redis);
  ASSERT_EQ(cache.get_or_load(key, later(), loader)->outcome, cache::CacheOutcome::kMiss);
  cache.flush_writes();
  auto hit = lookup();
  ASSERT_TRUE(hit.hit);
  EXPECT_EQ(*hit.hit->body, "body");
  EXPECT_EQ(hit.hit->outcome, cache::CacheOutcome::kHit);

  // Lookups of one key on one I/O thread while an MGET is in flight join it.
  auto mgets = [&] {
    const std::string series = "storefront_redis_command_duration_seconds_count{command=\"mget\"} ";
    auto text = registry_.render();
    auto at = text.find(series);
    return at == std::string::npos ? -1 : std::stol(text.substr(at + series.size()));
  };
  const long before = mgets();
  auto hits = io_.call<int>([&](auto done) {
    auto answered = std::make_shared<int>(0);
    auto served = std::make_shared<int>(0);
    for (int i = 0; i < 50; ++i) {
      cache.lookup_async(key, later(), io_.executor(),
                         [answered, served, done](const cache::ResponseCache::AsyncLookup& found) {
                           if (found.hit && *found.hit->body == "body") ++*served;
                           if (++*answered == 50) done(*served);
                         });
    }
  });
  EXPECT_EQ(hits, 50);
  EXPECT_EQ(mgets() - before, 1);

  // A write on another instance: the stored entry is stale for this one.
  ASSERT_TRUE(other.invalidate("db", "coll", later()).ok());
  EXPECT_FALSE(lookup().hit);

  // Redis paused: each lookup fails within the command timeout and says so,
  // and the failures open the breaker, which turns the fast path off.
  server_->pause();
  for (int i = 0; i < settings.breaker_failures; ++i) {
    cache::ResponseCache::AsyncLookup r;
    auto took = timed([&] { r = lookup(); });
    EXPECT_FALSE(r.hit);
    EXPECT_TRUE(r.skip_redis);
    EXPECT_LT(took, milliseconds(50) + kMargin);
  }
  EXPECT_FALSE(cache.async_reads());
  EXPECT_EQ(cache.status().breaker, cache::BreakerState::kOpen);
  auto bypass = cache.get_or_load(key, later(), loader, /*skip_redis=*/true);
  EXPECT_EQ(bypass->outcome, cache::CacheOutcome::kBypass);
  server_->resume();
  std::this_thread::sleep_for(milliseconds(350));
  // The half-open probe may be the fast path itself.
  auto probe = lookup();
  EXPECT_FALSE(probe.skip_redis);
  EXPECT_EQ(cache.status().breaker, cache::BreakerState::kClosed);
  EXPECT_TRUE(cache.async_reads());
}

}  // namespace
}  // namespace storefront::redis
