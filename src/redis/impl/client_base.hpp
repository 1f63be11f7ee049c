#pragma once

// Internal to sf_redis: the typed RedisClient methods on top of one virtual
// execute() that standalone and cluster clients implement, which also route
// slots for AsyncReader.

#include <string_view>

#include "redis/client.hpp"
#include "redis/impl/connection.hpp"
#include "redis/slot_router.hpp"

namespace storefront::redis {

class ClientBase : public RedisClient, public SlotRouter {
 public:
  // The settings (credentials, db, timeouts) a non-blocking reader needs too.
  virtual const RedisConfig& config() const = 0;

  Result<std::optional<std::string>> get(std::string_view key, Deadline deadline) override;
  Result<Values> mget(std::span<const std::string_view> keys, Deadline deadline) override;
  Status set(std::string_view key, std::string_view value, std::chrono::seconds ttl,
             Deadline deadline) override;
  Status del(std::string_view key, Deadline deadline) override;
  Result<std::int64_t> incr(std::string_view key, Deadline deadline) override;
  Status ping(Deadline deadline) override;

 protected:
  // Runs one command whose keys all hash to `slot` (-1: no key). Returns a
  // reply that is not an error reply: error replies become Errors.
  // `name` is the lower-case command name for the duration histogram.
  virtual Result<Reply> execute(std::string_view name, int slot, Args args, Deadline deadline) = 0;
  virtual bool cluster() const = 0;
};

}  // namespace storefront::redis
