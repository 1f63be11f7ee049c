#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace storefront::redis {

enum class RedisMode { kStandalone, kCluster };
const char* to_string(RedisMode mode);  // "standalone" | "cluster"

struct RedisNode {
  std::string host;
  int port = 6379;
  std::string address() const;  // host:port ([v6]:port)
  friend bool operator==(const RedisNode&, const RedisNode&) = default;
};

struct RedisConfig {
  RedisMode mode = RedisMode::kStandalone;
  // Standalone: exactly one node. Cluster: seed nodes; the rest of the cluster
  // is discovered with CLUSTER SLOTS.
  std::vector<RedisNode> nodes;
  std::string username;  // Redis 6 ACL user; empty means AUTH <password>
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT on connect (standalone only; a cluster has db 0 only)
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{50};
  std::size_t pool_size = 8;  // connections per node (REDIS_POOL_SIZE)

  // For logs and GET /: the URL with the password masked, plus the timeouts.
  std::string describe() const;
};

// REDIS_URL:
//   redis://[[user]:password@]host[:port][/db]            -> standalone
//   redis-cluster://[[user]:password@]h1:p1,h2:p2[,...]   -> cluster
// The port defaults to 6379, IPv6 hosts go in brackets, user and password may
// be percent-encoded. Timeouts and pool size keep their defaults. Error
// messages do not name the variable (the caller does) and never contain the
// password.
Result<RedisConfig> parse_redis_url(std::string_view url);

// REDIS_CLUSTER_NODES: "host:port,host:port,..." -> cluster config.
Result<RedisConfig> parse_cluster_nodes(std::string_view list);

}  // namespace storefront::redis
