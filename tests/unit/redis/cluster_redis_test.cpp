// A real 6-node Redis Cluster (3 masters + 3 replicas) per test: slot routing,
// MOVED/ASK during a slot migration, and failover of a killed or stopped master.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "cache/response_cache.hpp"
#include "obs/metrics.hpp"
#include "redis/client.hpp"
#include "redis/key_slot.hpp"
#include "redis_harness.hpp"

namespace storefront::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::redis_command;
using testing::RedisCluster;

constexpr milliseconds kTimeout{50};
using testing::kMargin;
using testing::later;

double metric(const obs::Registry& registry, const std::string& series) {
  auto text = registry.render();
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 2));
}

class ClusterRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::redis_available()) GTEST_SKIP() << "redis-server / redis-cli not installed";
    cluster_ = std::make_unique<RedisCluster>();
    ASSERT_TRUE(cluster_->ok()) << cluster_->error();
  }
  // Only one seed: the rest of the cluster is discovered. Tests of the fail-fast
  // bounds keep the 50 ms command timeout; the others (redirects) take a
  // generous one, since a loaded box can stall one command past 50 ms.
  RedisConfig config(milliseconds command_timeout = kTimeout) {
    auto c =
        parse_redis_url("redis-cluster://127.0.0.1:" + std::to_string(cluster_->ports().front()));
    EXPECT_TRUE(c.ok());
    c->command_timeout = command_timeout;
    return c.value();
  }
  int observer(int except = -1) {
    for (int p : cluster_->ports()) {
      if (p != except && redis_command(p, {"PING"}) == "PONG") return p;
    }
    return -1;
  }

  std::unique_ptr<RedisCluster> cluster_;
  obs::Registry registry_;
};

TEST_F(ClusterRedisTest, KeysLandOnSeveralMastersAndAreReadable) {
  auto client = make_redis_client(config(milliseconds(1000)), registry_);
  EXPECT_EQ(client->mode(), "cluster");
  ASSERT_TRUE(client->ping(later()).ok());
  for (int i = 0; i < 300; ++i) {
    auto key = "key:" + std::to_string(i);
    auto st = client->set(key, "v" + std::to_string(i), seconds(60), later());
    ASSERT_TRUE(st.ok()) << key << ": " << st.error().message;
  }
  for (int i = 0; i < 300; ++i) {
    auto v = client->get("key:" + std::to_string(i), later());
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v.value(), "v" + std::to_string(i));
  }
  auto masters = cluster_->master_ports(observer());
  ASSERT_EQ(masters.size(), 3U);
  for (int port : masters) {
    auto dbsize = std::stoi(redis_command(port, {"DBSIZE"}).value_or("0"));
    EXPECT_GT(dbsize, 50) << "master " << port;
  }
  // Our slot function agrees with the server's.
  for (std::string key : {"a", "key:17", "{user1000}.following", "foo{}{bar}",
                          "storefront:v1:{somedb.helloDoc}:users"}) {
    EXPECT_EQ(std::to_string(key_slot(key)),
              redis_command(cluster_->ports().front(), {"CLUSTER", "KEYSLOT", key}))
        << key;
  }
  // MGET needs one slot: a hash tag works, different slots are refused locally.
  ASSERT_TRUE(client->set("{tag}a", "1", seconds(60), later()).ok());
  ASSERT_TRUE(client->set("{tag}b", "2", seconds(60), later()).ok());
  std::array<std::string_view, 3> same{"{tag}a", "{tag}b", "{tag}c"};
  auto values = client->mget(same, later());
  ASSERT_TRUE(values.ok()) << values.error().message;
  EXPECT_EQ((*values)[1], "2");
  EXPECT_FALSE((*values)[2].has_value());
  std::array<std::string_view, 2> cross{"key:1", "key:2"};
  ASSERT_NE(key_slot("key:1"), key_slot("key:2"));
  auto refused = client->mget(cross, later());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(metric(registry_, "storefront_redis_cluster_redirects_total{type=\"moved\"}"), 0);
  EXPECT_GE(metric(registry_, "storefront_redis_topology_refreshes_total"), 1);
}

TEST_F(ClusterRedisTest, FollowsAskAndMovedDuringSlotMigration) {
  auto client = make_redis_client(config(milliseconds(1000)), registry_);
  const std::string key = "migrating:{m}:1";
  const std::string sibling = "migrating:{m}:2";  // same slot, created mid-migration
  const int slot = key_slot(key);
  ASSERT_TRUE(client->set(key, "v1", seconds(60), later()).ok());

  int obs = observer();
  int source = cluster_->master_for_slot(slot, obs);
  int target = -1;
  for (int m : cluster_->master_ports(obs)) {
    if (m != source) target = m;
  }
  ASSERT_GT(source, 0);
  ASSERT_GT(target, 0);
  auto source_id = cluster_->node_id(source);
  auto target_id = cluster_->node_id(target);
  auto s = std::to_string(slot);
  ASSERT_EQ(redis_command(target, {"CLUSTER", "SETSLOT", s, "IMPORTING", source_id}), "OK");
  ASSERT_EQ(redis_command(source, {"CLUSTER", "SETSLOT", s, "MIGRATING", target_id}), "OK");
  ASSERT_EQ(
      redis_command(source, {"MIGRATE", "127.0.0.1", std::to_string(target), key, "0", "5000"}),
      "OK");

  // The source no longer has the key: ASK -> ASKING + GET on the target.
  auto v = client->get(key, later());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v.value(), "v1");
  EXPECT_EQ(metric(registry_, "storefront_redis_cluster_redirects_total{type=\"ask\"}"), 1);
  // A new key of a migrating slot is created on the target, too.
  ASSERT_TRUE(client->set(sibling, "v2", seconds(60), later()).ok());
  EXPECT_EQ(metric(registry_, "storefront_redis_cluster_redirects_total{type=\"ask\"}"), 2);
  EXPECT_EQ(redis_command(target, {"CLUSTER", "COUNTKEYSINSLOT", s}), "2");
  EXPECT_EQ(redis_command(source, {"CLUSTER", "COUNTKEYSINSLOT", s}), "0");

  // Finish the migration: the source answers MOVED, the client follows and
  // then goes to the target directly.
  for (int port : cluster_->ports()) {
    redis_command(port, {"CLUSTER", "SETSLOT", s, "NODE", target_id});
  }
  auto moved = client->get(sibling, later());
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved.value(), "v2");
  EXPECT_EQ(metric(registry_, "storefront_redis_cluster_redirects_total{type=\"moved\"}"), 1);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(client->get(key, later()).value(), "v1");
  EXPECT_EQ(metric(registry_, "storefront_redis_cluster_redirects_total{type=\"moved\"}"), 1);
}

// Runs get/set on keys over all masters until `stop`, recording failures and
// the slowest call.
struct Load {
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0}, failed{0};
  std::atomic<long> slowest_us{0};
  std::atomic<Clock::rep> last_failure{0};
  std::map<ErrorKind, long> kinds;  // loop thread only, read after join

  void run(RedisClient& client) {
    int i = 0;
    while (!stop) {
      auto key = "load:" + std::to_string(i++ % 200);
      for (int op = 0; op < 2; ++op) {
        auto start = Clock::now();
        Status st = ok_status();
        if (op == 0) {
          st = client.set(key, "x", seconds(60), Deadline::after(seconds(5)));
        } else {
          auto r = client.get(key, Deadline::after(seconds(5)));
          if (!r) st = r.error();
        }
        auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
        if (took.count() > slowest_us) slowest_us = took.count();
        if (st) {
          ok++;
        } else {
          failed++;
          kinds[st.error().kind]++;
          last_failure = Clock::now().time_since_epoch().count();
        }
      }
    }
  }
  Clock::time_point last_failure_at() const {
    return Clock::time_point(Clock::duration(last_failure.load()));
  }
};

// Waits until the load has run `quiet` without a failure; false after `limit`.
bool wait_recovered(Load& load, Clock::time_point since, milliseconds quiet, seconds limit) {
  auto end = since + limit;
  while (Clock::now() < end) {
    auto last = std::max(load.last_failure_at(), since);
    if (Clock::now() - last >= quiet && load.ok > 0) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

TEST_F(ClusterRedisTest, KilledMasterFailsFastThenFailsOver) {
  auto client = make_redis_client(config(), registry_);
  // A ResponseCache on its own client next to the raw load: every response OK.
  obs::Registry cache_registry;
  cache::CacheSettings settings;
  settings.breaker_cooldown = milliseconds(500);
  cache::ResponseCache cache(make_redis_client(config(), cache_registry), settings, cache_registry);

  Load load;
  std::thread loop([&] { load.run(*client); });
  std::atomic<long> cache_errors{0}, cache_hits_after{0};
  std::atomic<bool> count_hits{false};
  std::atomic<long> cache_slowest_us{0};
  std::thread cache_loop([&] {
    int i = 0;
    while (!load.stop) {
      auto key = cache::users_list_key("somedb", "c" + std::to_string(i++ % 30));
      auto start = Clock::now();
      auto r = cache.get_or_load(key, seconds(60), Deadline::after(seconds(5)),
                                 [](Deadline) -> Result<std::string> { return std::string("b"); });
      auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
      if (took.count() > cache_slowest_us) cache_slowest_us = took.count();
      if (!r) cache_errors++;
      if (r && r->outcome == cache::CacheOutcome::kHit && count_hits) cache_hits_after++;
      std::this_thread::sleep_for(milliseconds(1));
    }
  });

  std::this_thread::sleep_for(milliseconds(500));
  int victim = cluster_->master_for_slot(key_slot("load:0"), observer());
  ASSERT_GT(victim, 0);
  auto killed_at = Clock::now();
  cluster_->server(victim).kill9();

  bool recovered =
      wait_recovered(load, killed_at + milliseconds(200), milliseconds(2000), seconds(20));
  auto recovered_after = load.last_failure_at() - killed_at;
  count_hits = true;
  std::this_thread::sleep_for(milliseconds(1000));
  load.stop = true;
  loop.join();
  cache_loop.join();

  EXPECT_TRUE(recovered) << "still failing 20 s after the kill";
  EXPECT_GT(load.failed.load(), 0);  // the victim's slots did fail for a while
  RecordProperty(
      "recovered_after_ms",
      static_cast<int>(std::chrono::duration_cast<milliseconds>(recovered_after).count()));
  std::cout << "[ info ] failed calls " << load.failed << ", ok " << load.ok << ", last failure "
            << std::chrono::duration_cast<milliseconds>(recovered_after).count()
            << " ms after the kill, slowest call " << load.slowest_us / 1000 << " ms\n";
  for (auto [kind, n] : load.kinds)
    std::cout << "[ info ]   " << to_string(kind) << ": " << n << "\n";
  EXPECT_LT(load.slowest_us.load(), (kTimeout + kMargin).count() * 1000);
  EXPECT_EQ(cache_errors.load(), 0);  // the cache never fails a response
  EXPECT_LT(cache_slowest_us.load(), (kTimeout + kMargin).count() * 1000);
  EXPECT_GT(cache_hits_after.load(), 0);  // and serves hits again after the failover
  EXPECT_GE(metric(registry_, "storefront_redis_topology_refreshes_total"), 2);
}

TEST_F(ClusterRedisTest, StoppedMasterTimesOutThenFailsOver) {
  auto client = make_redis_client(config(), registry_);
  Load load;
  std::thread loop([&] { load.run(*client); });
  std::this_thread::sleep_for(milliseconds(300));
  int victim = cluster_->master_for_slot(key_slot("load:0"), observer());
  ASSERT_GT(victim, 0);
  auto stopped_at = Clock::now();
  cluster_->server(victim).pause();  // SIGSTOP: TCP accepts, nothing answers

  bool recovered =
      wait_recovered(load, stopped_at + milliseconds(200), milliseconds(2000), seconds(20));
  load.stop = true;
  loop.join();
  cluster_->server(victim).resume();

  EXPECT_TRUE(recovered) << "still failing 20 s after SIGSTOP";
  EXPECT_GT(load.kinds[ErrorKind::kTimeout], 0);
  std::cout << "[ info ] failed calls " << load.failed << ", ok " << load.ok << ", last failure "
            << std::chrono::duration_cast<milliseconds>(load.last_failure_at() - stopped_at).count()
            << " ms after SIGSTOP, slowest call " << load.slowest_us / 1000 << " ms\n";
  EXPECT_LT(load.slowest_us.load(), (kTimeout + kMargin).count() * 1000);
}

}  // namespace
}  // namespace storefront::redis
