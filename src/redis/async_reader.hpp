#pragma once

// Reads keys from Redis without blocking, on the caller's I/O thread, so a
// cache hit never waits for a worker thread.
//
// Deliberately small: it only sends MGET over pipelined connections (one per
// I/O thread and Redis node) and parses the replies it needs. Everything
// unusual (no route to the key yet, a redirect, an error reply, a broken or
// slow connection) is reported to the caller, which then takes the blocking
// client on a worker thread: that one handles redirects, slot-map refreshes
// and retries. So this path is an optimisation, never the only way to Redis.

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "common/deadline.hpp"
#include "common/result.hpp"
#include "redis/client.hpp"
#include "redis/config.hpp"
#include "redis/slot_router.hpp"

namespace storefront::obs {
class Registry;
}  // namespace storefront::obs

namespace storefront::redis {

// kUnavailable / kTimeout: the connection failed (Redis down or slow).
// kInvalid: Redis answered with an error reply (MOVED, ASK, LOADING, ...);
// the message is that reply.
using MgetCallback = std::function<void(Result<Values>)>;

class AsyncReader {
 public:
  virtual ~AsyncReader() = default;

  // MGET `keys` (all in `slot`) on a connection of the I/O thread running
  // `executor`, which must be the calling thread. `done` runs on that thread,
  // possibly before mget returns. Bounded by the deadline and the command
  // timeout (which, as in the blocking client, covers connecting too).
  // Returns false, without calling `done`, when no node is known for the slot
  // yet, or when called from another thread than an io_context executor's
  // own (the connections have no locks: the caller falls back to the
  // blocking client).
  virtual bool mget(const boost::asio::any_io_executor& executor,
                    std::span<const std::string_view> keys, int slot, Deadline deadline,
                    MgetCallback done) = 0;

  // A read failed on the connection (not an error reply): the slot's node may
  // have moved, so the router reloads its map in the background.
  virtual void routes_failed() = 0;
};

// A reader next to `client`, routed by it, with its credentials, db and
// timeouts; null when `client` was not made by make_redis_client (a fake has
// no servers to read from). `client` must outlive the reader.
std::unique_ptr<AsyncReader> make_async_reader(RedisClient& client, obs::Registry& registry);

// A reader with its own routing (tests: a fixed server). `router` must
// outlive the reader. Records storefront_redis_command_duration_seconds
// {command="mget"} in `registry`, which must outlive it too.
std::unique_ptr<AsyncReader> make_async_reader(const RedisConfig& config, SlotRouter& router,
                                               obs::Registry& registry);

}  // namespace storefront::redis
