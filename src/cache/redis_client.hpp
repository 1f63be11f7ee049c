#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/redis_config.hpp"
#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::obs {
class Registry;
}

namespace storefront::cache {

// A blocking Redis client for one standalone server or a Redis Cluster.
// Thread-safe; called from worker threads only. Each call is bounded by the
// tighter of the deadline and the configured command timeout (this includes
// waiting for a pooled connection, reconnecting and cluster redirects). hiredis
// errors are mapped here, once, to ErrorKind (kUnavailable / kTimeout /
// kInternal; kInvalid for a cross-slot mget in cluster mode).
class RedisClient {
 public:
  virtual ~RedisClient() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key, Deadline deadline) = 0;
  // One round trip. In cluster mode all keys must hash to the same slot (use a
  // {hash tag}); otherwise the call fails with kInvalid without touching Redis.
  virtual Result<std::vector<std::optional<std::string>>> mget(
      std::span<const std::string_view> keys, Deadline deadline) = 0;
  virtual Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl,
                     Deadline deadline) = 0;
  virtual Status del(std::string_view key, Deadline deadline) = 0;
  // INCR; the new value.
  virtual Result<std::int64_t> incr(std::string_view key, Deadline deadline) = 0;
  virtual Status ping(Deadline deadline) = 0;
  // "standalone" or "cluster"
  virtual std::string_view mode() const = 0;

  // For AsyncReader, which reads hits without blocking and without this
  // client: where the keys of `slot` are served now (the server, or the
  // slot's master in a cluster; nullopt while unknown) and the settings
  // (credentials, db, timeouts). Null/nullopt: no non-blocking reads.
  virtual std::optional<RedisNode> node_for_slot(int /*slot*/) const { return std::nullopt; }
  virtual const RedisConfig* config() const { return nullptr; }
  // AsyncReader could not reach the node of a slot: reload the slot map in
  // the background (cluster; at most one reload per 100 ms). Never blocks.
  virtual void routes_failed() {}
};

// Builds the client for `config`. Never fails and never blocks on the network:
// connections are opened lazily (cluster mode starts a background thread that
// loads the slot map), so an unreachable Redis at start-up only makes calls
// fail until it comes up. Registers the storefront_redis_* metrics in
// `registry`, which must outlive the client. Sets SIGPIPE to SIG_IGN if it is
// still SIG_DFL (hiredis writes with write(2), and a peer reset must not kill
// the process).
std::unique_ptr<RedisClient> make_redis_client(const RedisConfig& config, obs::Registry& registry);

}  // namespace storefront::cache
