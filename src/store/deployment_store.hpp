#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::store {

struct HostPort {
  std::string host;
  int port = 0;
};

struct ReplicaMember {
  std::string name;
  std::string state;  // PRIMARY, SECONDARY, ...
  bool healthy = false;
};

struct CollectionStats {
  std::string name;
  std::int64_t documents = 0;
  // Per-shard document counts when the deployment is sharded.
  std::optional<std::vector<std::pair<std::string, std::int64_t>>> per_shard;
};

// What GET / reports. Optional members are null when the server does not
// support the command (a standalone has no listShards or replSetGetStatus).
struct DeploymentInfo {
  std::string topology_type;  // Single, ReplicaSetWithPrimary, Sharded, ...
  std::optional<std::string> replica_set_name;
  std::vector<HostPort> nodes;
  std::optional<HostPort> primary;
  std::vector<HostPort> secondaries;
  bool is_primary = false;
  bool is_mongos = false;
  std::vector<CollectionStats> collections;  // in name order, at most the store's limit
  bool collections_truncated = false;        // the database has more than are listed
  std::optional<std::vector<std::pair<std::string, std::string>>> shards;  // id -> host string
  std::optional<std::vector<ReplicaMember>> replica_members;
};

// The database as a whole: topology for GET / and the health probe's ping.
// Blocking: call from worker threads only.
class DeploymentStore {
 public:
  virtual ~DeploymentStore() = default;
  virtual Result<DeploymentInfo> describe(Deadline deadline) = 0;
  virtual Status ping(Deadline deadline) = 0;
};

}  // namespace storefront::store
