#pragma once

// Internal to sf_redis: a Redis Cluster client on top of Connection / NodePool.

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "redis/impl/client_base.hpp"
#include "redis/key_slot.hpp"

namespace storefront::redis {

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381". An empty host
// (":6381", Redis 7 with an unknown endpoint) means the host that answered.
struct Redirect {
  enum class Type { kMoved, kAsk } type;
  int slot = 0;
  RedisNode node;
};
std::optional<Redirect> parse_redirect(std::string_view message, std::string_view current_host);

// The slot map: which master serves each slot.
struct Topology {
  static constexpr std::uint16_t kNone = 0xFFFF;
  std::vector<std::shared_ptr<NodePool>> masters;
  std::array<std::uint16_t, kClusterSlots> owner{};  // index into masters, or kNone
  std::vector<RedisNode> nodes;                      // masters and replicas, for refreshes
  std::uint64_t version = 0;
};

// A slot map as CLUSTER SLOTS reports it, before pools are attached.
struct SlotMap {
  std::array<std::uint16_t, kClusterSlots> owner{};  // index into masters, or Topology::kNone
  std::vector<RedisNode> masters;
  std::vector<RedisNode> nodes;  // masters and replicas
};

class ClusterClient final : public ClientBase {
 public:
  ClusterClient(const RedisConfig& config, obs::Registry& registry);
  ~ClusterClient() override;
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  std::string_view mode() const override { return "cluster"; }
  std::optional<RedisNode> node_for_slot(int slot) const override;
  const RedisConfig& config() const override { return config_; }
  void routes_failed() override { request_refresh(); }

 protected:
  Result<Reply> execute(std::string_view name, int slot, Args args, Deadline deadline) override;
  bool cluster() const override { return true; }

 private:
  std::shared_ptr<const Topology> topology() const;
  std::shared_ptr<NodePool> pool_for(const RedisNode& node);
  std::shared_ptr<NodePool> owner_of(int slot) const;
  // Points `slot` at `node` after a MOVED, until the next full refresh.
  std::shared_ptr<NodePool> patch_slot(int slot, const RedisNode& node);

  // Asks the refresher thread for a new slot map without waiting.
  void request_refresh();
  // Asks for a refresh and waits (until the deadline) for one to finish. Does
  // not wait and returns false when an attempt started less than the minimum
  // interval ago and none is running: the queued one starts later.
  bool refresh_and_wait(Deadline deadline);
  void refresher_loop();
  void refresh_once();
  std::vector<RedisNode> refresh_candidates();
  Result<SlotMap> load_slot_map(const RedisNode& candidate);
  void install(SlotMap map);

  // One execute() call across its retries and redirects.
  struct Attempt {
    std::shared_ptr<NodePool> forced;  // target of a redirect
    bool asking = false;
    bool reused = false;  // the last try ran on a pooled connection
    bool retried_fresh = false;
    int redirects = 0;
  };
  // The slot's master, after waiting for a slot map if none is known yet.
  std::shared_ptr<NodePool> route(int slot, Deadline budget);
  Result<Reply> send(NodePool& pool, Args args, Attempt& attempt, Deadline budget,
                     obs::Histogram& histogram);
  // After a failed round trip: true to try again (a fresh connection, or the
  // slot's new master after a failover).
  bool retry_after_failure(const Error& error, const NodePool& pool, int slot, Deadline budget,
                           Attempt& attempt);
  // After an error reply: nullopt to try again (MOVED, ASK, TRYAGAIN),
  // otherwise the call's error.
  std::optional<Error> follow_error_reply(std::string_view message, const NodePool& pool, int slot,
                                          Deadline budget, Attempt& attempt);

  const RedisConfig config_;
  const ConnectOptions options_;
  RedisMetrics metrics_;

  mutable std::mutex mutex_;  // topology_, pools_
  std::shared_ptr<const Topology> topology_;
  std::unordered_map<std::string, std::shared_ptr<NodePool>> pools_;

  std::mutex refresh_mutex_;
  std::condition_variable refresh_cv_;       // wakes the refresher
  std::condition_variable refresh_done_cv_;  // wakes waiters
  bool refresh_requested_ = true;
  bool refreshing_ = false;
  bool stopping_ = false;
  std::uint64_t refresh_completed_ = 0;
  Clock::time_point last_refresh_start_{};
  std::size_t rotate_ = 0;        // refresher thread only
  bool refresh_failing_ = false;  // refresher thread only
  std::thread refresher_;
};

}  // namespace storefront::redis
