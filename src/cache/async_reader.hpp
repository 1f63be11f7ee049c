#pragma once

// Internal to sf_cache: reads cache entries from Redis without blocking, on
// the caller's I/O thread, so a cache hit never waits for a worker thread.
//
// Deliberately small: it only sends MGET over pipelined connections (one per
// I/O thread and Redis node) and parses the replies it needs. Everything
// unusual (no route to the key yet, a redirect, an error reply, a broken or
// slow connection) is reported to the caller, which then takes the blocking
// client on a worker thread: that one handles redirects, slot-map refreshes
// and retries. So this path is an optimisation, never the only way to Redis.

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache/redis_config.hpp"
#include "cache/resp_parser.hpp"
#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::obs {
class Histogram;
class Registry;
}  // namespace storefront::obs

namespace storefront::cache {

// kUnavailable / kTimeout: the connection failed (Redis down or slow).
// kInvalid: Redis answered with an error reply (MOVED, ASK, LOADING, ...);
// the message is that reply.
using MgetCallback = std::function<void(Result<Values>)>;

class AsyncConnection;

class AsyncReader {
 public:
  // Which node serves `slot` now (cluster) or the server (standalone);
  // nullopt when unknown, e.g. before the slot map is loaded.
  using RouteFn = std::function<std::optional<RedisNode>(int slot)>;

  AsyncReader(const RedisConfig& config, RouteFn route, obs::Registry& registry);
  ~AsyncReader();
  AsyncReader(const AsyncReader&) = delete;
  AsyncReader& operator=(const AsyncReader&) = delete;

  // MGET `keys` (all in `slot`) on a connection of the I/O thread running
  // `executor`, which must be the calling thread. `done` runs on that thread,
  // possibly before mget returns. Bounded by the deadline and the command
  // timeout (which, as in the blocking client, covers connecting too).
  // Returns false, without calling
  // `done`, when no node is known for the slot yet, or when called from
  // another thread than an io_context executor's own (the connections have no
  // locks: the caller falls back to the blocking client).
  bool mget(const boost::asio::any_io_executor& executor, std::span<const std::string_view> keys,
            int slot, Deadline deadline, MgetCallback done);

 private:
  std::shared_ptr<AsyncConnection> connection(const boost::asio::any_io_executor& executor,
                                              const RedisNode& node);

  const RedisConfig config_;
  const RouteFn route_;
  obs::Histogram& duration_;
  std::mutex mutex_;
  // Per (I/O context, node address). Weak: a connection is owned by its
  // pending read, so it dies with its io_context or when it breaks.
  std::map<std::pair<const void*, std::string>, std::weak_ptr<AsyncConnection>> connections_;
};

}  // namespace storefront::cache
