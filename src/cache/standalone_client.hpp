#pragma once

// Internal to sf_cache.

#include "cache/client_base.hpp"

namespace storefront::cache {

class StandaloneClient final : public ClientBase {
 public:
  StandaloneClient(const RedisConfig& config, obs::Registry& registry);
  std::string_view mode() const override { return "standalone"; }
  std::optional<RedisNode> node_for_slot(int /*slot*/) const override {
    return RedisNode{pool_.host(), pool_.port()};
  }
  const RedisConfig* config() const override { return &config_; }

 protected:
  Result<ReplyPtr> execute(std::string_view name, int slot, Args args, Deadline deadline) override;
  bool cluster() const override { return false; }

 private:
  const RedisConfig config_;
  std::chrono::milliseconds command_timeout_;
  RedisMetrics metrics_;
  NodePool pool_;
};

ConnectOptions connect_options(const RedisConfig& config);

}  // namespace storefront::cache
