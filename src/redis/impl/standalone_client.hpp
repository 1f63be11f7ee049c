#pragma once

// Internal to sf_redis.

#include "redis/impl/client_base.hpp"

namespace storefront::redis {

class StandaloneClient final : public ClientBase {
 public:
  StandaloneClient(const RedisConfig& config, obs::Registry& registry);
  std::string_view mode() const override { return "standalone"; }
  std::optional<RedisNode> node_for_slot(int /*slot*/) const override {
    return RedisNode{pool_.host(), pool_.port()};
  }
  void routes_failed() override {}  // one server: nothing to reload
  const RedisConfig& config() const override { return config_; }

 protected:
  Result<Reply> execute(std::string_view name, int slot, Args args, Deadline deadline) override;
  bool cluster() const override { return false; }

 private:
  const RedisConfig config_;
  std::chrono::milliseconds command_timeout_;
  RedisMetrics metrics_;
  NodePool pool_;
};

ConnectOptions connect_options(const RedisConfig& config);

}  // namespace storefront::redis
