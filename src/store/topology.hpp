#pragma once

#include <bson/bson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/deployment_store.hpp"

// Pure functions that turn server replies into DeploymentInfo pieces. Kept
// apart from the driver calls so sharded and replica-set replies, which the
// test server cannot produce, are covered by unit tests on captured replies.
namespace storefront::store {

struct ServerSummary {
  std::string type;  // mongoc_server_description_type(): Standalone, Mongos, RSPrimary, ...
  HostPort address;
};

// The driver topology name pymongo reports (Single, Sharded,
// ReplicaSetWithPrimary, ReplicaSetNoPrimary, Unknown).
std::string topology_type_name(const std::vector<ServerSummary>& servers);

// listShards reply -> [(shard id, host string)]; nullopt if the reply has no shards array.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_list_shards(
    const bson_t* reply);

// replSetGetStatus reply -> members with state names.
std::optional<std::vector<ReplicaMember>> parse_replset_status(const bson_t* reply);

// One $collStats {count: {}} result document -> (shard, count); nullopt if it
// lacks either field.
std::optional<std::pair<std::string, std::int64_t>> parse_collstats_count(const bson_t* doc);

// Reads a numeric field of any BSON number type.
std::optional<std::int64_t> bson_int(const bson_t* doc, const char* dotted_key);
std::optional<std::string> bson_string(const bson_t* doc, const char* dotted_key);

}  // namespace storefront::store
