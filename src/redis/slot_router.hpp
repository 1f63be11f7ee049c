#pragma once

#include <optional>

#include "redis/config.hpp"

namespace storefront::redis {

// Where the keys of a hash slot are served, for readers that talk to Redis
// without going through RedisClient (AsyncReader). The clients made by
// make_redis_client implement it; tests may route to a fixed server.
class SlotRouter {
 public:
  virtual ~SlotRouter() = default;
  // The server (standalone) or the slot's master (cluster); nullopt while
  // unknown, e.g. before the slot map is loaded.
  virtual std::optional<RedisNode> node_for_slot(int slot) const = 0;
  // A reader could not reach the node of a slot: reload the slot map in the
  // background (cluster; at most one reload per 100 ms). Never blocks.
  virtual void routes_failed() = 0;
};

}  // namespace storefront::redis
