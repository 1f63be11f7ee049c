#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::store {

struct NewUser {
  std::int64_t age = 0;
  std::string name;
};

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
  std::vector<CollectionStats> collections;
  std::optional<std::vector<std::pair<std::string, std::string>>> shards;  // id -> host string
  std::optional<std::vector<ReplicaMember>> replica_members;
};

// The storage the API needs. Blocking: call from worker threads only. JSON
// is rendered straight from BSON, so users come back as serialized objects.
class UserStore {
 public:
  virtual ~UserStore() = default;
  // {"users":[...]} with at most `limit` users.
  virtual Result<std::string> list_users_json(std::string_view collection, int limit,
                                              Deadline deadline) = 0;
  // One user object, or nullopt when no user has this name.
  virtual Result<std::optional<std::string>> find_user_json(std::string_view collection,
                                                            std::string_view name,
                                                            Deadline deadline) = 0;
  // Inserts and returns the stored user as a JSON object including its new id.
  virtual Result<std::string> insert_user(std::string_view collection, const NewUser& user,
                                          Deadline deadline) = 0;
  virtual Result<std::int64_t> count(std::string_view collection, Deadline deadline) = 0;
  virtual Result<DeploymentInfo> describe(Deadline deadline) = 0;
  virtual Status ping(Deadline deadline) = 0;
};

}  // namespace storefront::store
