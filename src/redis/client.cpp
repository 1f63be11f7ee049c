#include "redis/client.hpp"

#include "redis/impl/cluster_client.hpp"
#include "redis/impl/standalone_client.hpp"

namespace storefront::redis {

std::unique_ptr<RedisClient> make_redis_client(const RedisConfig& config, obs::Registry& registry) {
  if (config.mode == RedisMode::kCluster) return std::make_unique<ClusterClient>(config, registry);
  return std::make_unique<StandaloneClient>(config, registry);
}

}  // namespace storefront::redis
