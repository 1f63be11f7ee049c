#include "redis/impl/standalone_client.hpp"

#include "obs/metrics.hpp"

namespace storefront::redis {

ConnectOptions connect_options(const RedisConfig& config) {
  ConnectOptions options;
  options.username = config.username;
  options.password = config.password;
  options.db = config.mode == RedisMode::kStandalone ? config.db : 0;
  options.connect_timeout = config.connect_timeout;
  options.command_timeout = config.command_timeout;
  return options;
}

StandaloneClient::StandaloneClient(const RedisConfig& config, obs::Registry& registry)
    : config_(config),
      command_timeout_(config.command_timeout),
      metrics_(registry),
      pool_(config.nodes.empty() ? std::string("127.0.0.1") : config.nodes.front().host,
            config.nodes.empty() ? 6379 : config.nodes.front().port, connect_options(config),
            config.pool_size) {}

Result<Reply> StandaloneClient::execute(std::string_view name, int /*slot*/, Args args,
                                        Deadline deadline) {
  Deadline budget = deadline.capped(command_timeout_);
  auto& histogram = metrics_.for_command(name);
  for (int attempt = 0;; ++attempt) {
    auto lease = pool_.acquire(budget);
    if (!lease) return lease.error();
    auto start = Clock::now();
    auto reply = lease.value()->run(args, budget);
    histogram.observe(std::chrono::duration<double>(Clock::now() - start).count());
    if (!reply) {
      // A pooled connection may have been closed by a server restart; one
      // retry on a fresh connection tells a dead server from a stale socket.
      if (attempt == 0 && lease.value().reused() && reply.error().kind == ErrorKind::kUnavailable &&
          !budget.expired()) {
        continue;
      }
      return reply.error();
    }
    if (reply.value().is_error()) return error_from_reply(reply.value().str);
    return reply;
  }
}

}  // namespace storefront::redis
