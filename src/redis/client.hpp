#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"
#include "redis/config.hpp"

namespace storefront::obs {
class Registry;
}

namespace storefront::redis {

// MGET results: one per key, nullopt for a missing key.
using Values = std::vector<std::optional<std::string>>;

// A blocking Redis client for one standalone server or a Redis Cluster.
// Thread-safe; called from worker threads only. Each call is bounded by the
// tighter of the deadline and the configured command timeout (this includes
// waiting for a pooled connection, reconnecting and cluster redirects).
// Connection and server errors are mapped here, once, to ErrorKind (kUnavailable / kTimeout /
// kInternal; kInvalid for a cross-slot mget in cluster mode).
class RedisClient {
 public:
  virtual ~RedisClient() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key, Deadline deadline) = 0;
  // One round trip. In cluster mode all keys must hash to the same slot (use a
  // {hash tag}); otherwise the call fails with kInvalid without touching Redis.
  virtual Result<Values> mget(std::span<const std::string_view> keys, Deadline deadline) = 0;
  virtual Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl,
                     Deadline deadline) = 0;
  virtual Status del(std::string_view key, Deadline deadline) = 0;
  // INCR; the new value.
  virtual Result<std::int64_t> incr(std::string_view key, Deadline deadline) = 0;
  virtual Status ping(Deadline deadline) = 0;
  // "standalone" or "cluster"
  virtual std::string_view mode() const = 0;
};

// Builds the client for `config`. Never fails and never blocks on the network:
// connections are opened lazily (cluster mode starts a background thread that
// loads the slot map), so an unreachable Redis at start-up only makes calls
// fail until it comes up. Registers the storefront_redis_* metrics in
// `registry`, which must outlive the client. Its sockets are written with
// MSG_NOSIGNAL, so a connection reset by Redis fails the call (EPIPE) without
// raising SIGPIPE; the client needs no process-wide signal policy.
std::unique_ptr<RedisClient> make_redis_client(const RedisConfig& config, obs::Registry& registry);

}  // namespace storefront::redis
