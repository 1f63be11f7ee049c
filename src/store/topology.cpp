#include "store/topology.hpp"

namespace storefront::store {
namespace {

std::optional<std::int64_t> iter_int(const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32:
      return bson_iter_int32(it);
    case BSON_TYPE_INT64:
      return bson_iter_int64(it);
    case BSON_TYPE_DOUBLE:
      return static_cast<std::int64_t>(bson_iter_double(it));
    default:
      return std::nullopt;
  }
}

std::optional<std::string> iter_string(const bson_iter_t* it) {
  if (!BSON_ITER_HOLDS_UTF8(it)) return std::nullopt;
  std::uint32_t len = 0;
  const char* s = bson_iter_utf8(it, &len);
  return std::string(s, len);
}

}  // namespace

std::optional<std::int64_t> bson_int(const bson_t* doc, const char* dotted_key) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, dotted_key, &found)) {
    return std::nullopt;
  }
  return iter_int(&found);
}

std::optional<std::string> bson_string(const bson_t* doc, const char* dotted_key) {
  bson_iter_t it, found;
  if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, dotted_key, &found)) {
    return std::nullopt;
  }
  return iter_string(&found);
}

std::string topology_type_name(const std::vector<ServerSummary>& servers) {
  bool mongos = false, primary = false, rs_member = false, standalone = false;
  for (const auto& s : servers) {
    if (s.type == "Mongos") mongos = true;
    if (s.type == "RSPrimary") primary = true;
    if (s.type.rfind("RS", 0) == 0 || s.type == "PossiblePrimary") rs_member = true;
    if (s.type == "Standalone") standalone = true;
  }
  if (mongos) return "Sharded";
  if (primary) return "ReplicaSetWithPrimary";
  if (rs_member) return "ReplicaSetNoPrimary";
  if (standalone && servers.size() == 1) return "Single";
  return "Unknown";
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_list_shards(
    const bson_t* reply) {
  bson_iter_t it, shards;
  if (!bson_iter_init_find(&it, reply, "shards") || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &shards)) {
    return std::nullopt;
  }
  std::vector<std::pair<std::string, std::string>> out;
  while (bson_iter_next(&shards)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&shards)) continue;
    bson_iter_t field;
    std::string id, host;
    if (!bson_iter_recurse(&shards, &field)) continue;
    while (bson_iter_next(&field)) {
      std::string_view key = bson_iter_key(&field);
      if (key == "_id") id = iter_string(&field).value_or("");
      if (key == "host") host = iter_string(&field).value_or("");
    }
    if (!id.empty()) out.emplace_back(std::move(id), std::move(host));
  }
  return out;
}

std::optional<std::vector<ReplicaMember>> parse_replset_status(const bson_t* reply) {
  bson_iter_t it, members;
  if (!bson_iter_init_find(&it, reply, "members") || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &members)) {
    return std::nullopt;
  }
  std::vector<ReplicaMember> out;
  while (bson_iter_next(&members)) {
    bson_iter_t field;
    if (!BSON_ITER_HOLDS_DOCUMENT(&members) || !bson_iter_recurse(&members, &field)) continue;
    ReplicaMember m;
    while (bson_iter_next(&field)) {
      std::string_view key = bson_iter_key(&field);
      if (key == "name") m.name = iter_string(&field).value_or("");
      if (key == "stateStr") m.state = iter_string(&field).value_or("");
      if (key == "health") m.healthy = iter_int(&field).value_or(0) == 1;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<std::pair<std::string, std::int64_t>> parse_collstats_count(const bson_t* doc) {
  auto shard = bson_string(doc, "shard");
  auto count = bson_int(doc, "count");
  if (!shard || !count) return std::nullopt;
  return std::make_pair(*shard, *count);
}

}  // namespace storefront::store
