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
#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::obs {
class Histogram;
class Registry;
}  // namespace storefront::obs

namespace storefront::cache {

using Values = std::vector<std::optional<std::string>>;

// kUnavailable / kTimeout: the connection failed (Redis down or slow).
// kInvalid: Redis answered with an error reply (MOVED, ASK, LOADING, ...);
// the message is that reply.
using MgetCallback = std::function<void(Result<Values>)>;

// RESP reply parser for what AsyncReader sends: simple strings, errors,
// integers, bulk strings and arrays of bulk strings (no nesting). Fed with
// bytes as they arrive; a bulk string is written into its final std::string,
// which the caller may fill directly from the socket (bulk_target()).
class ReplyParser {
 public:
  struct Reply {
    bool error = false;
    std::string message;  // error replies and simple strings
    Values values;        // a bulk string is one value, an array its elements
  };

  // Consumes bytes from `data`; returns how many. Stops after one complete
  // reply (take it with take()) or when more bytes are needed. Sets
  // `protocol_error` on malformed input (the connection must be dropped).
  std::size_t feed(std::string_view data, bool& protocol_error);
  bool complete() const { return complete_; }
  Reply take();

  // While inside a bulk string: where its remaining bytes go (so a large
  // value can be read from the socket straight into place), and commit().
  std::span<char> bulk_target();
  void commit_bulk(std::size_t n);

  static constexpr std::size_t kMaxLine = 64 * 1024;
  static constexpr std::int64_t kMaxBulk = 64 * 1024 * 1024;

 private:
  enum class State { kLine, kBulk, kBulkEnd };
  bool on_line(std::string_view line);  // false: protocol error
  void element_done();

  State state_ = State::kLine;
  std::string line_;  // a line split across reads
  std::int64_t array_left_ = -1;
  std::string bulk_;
  std::size_t bulk_filled_ = 0;
  Reply reply_;
  bool complete_ = false;
};

// "*N\r\n$len\r\narg\r\n..." for one command.
std::string encode_command(std::span<const std::string_view> args);

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
  // `done`, when no node is known for the slot yet.
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
