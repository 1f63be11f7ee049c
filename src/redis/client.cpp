#include "redis/client.hpp"

#include <csignal>

#include "redis/impl/cluster_client.hpp"
#include "redis/impl/standalone_client.hpp"

namespace storefront::redis {

std::unique_ptr<RedisClient> make_redis_client(const RedisConfig& config, obs::Registry& registry) {
  // hiredis writes with write(2): a connection reset by the server would
  // raise SIGPIPE, whose default action kills the process.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    std::signal(SIGPIPE, SIG_IGN);
  }
  if (config.mode == RedisMode::kCluster) return std::make_unique<ClusterClient>(config, registry);
  return std::make_unique<StandaloneClient>(config, registry);
}

}  // namespace storefront::redis
