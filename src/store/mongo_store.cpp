#include "store/mongo_store.hpp"

#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/bson_json.hpp"
#include "store/topology.hpp"

namespace storefront::store {
namespace {

using Lease = MongoPool::Lease;

BsonPtr user_projection_opts(std::int64_t limit, Deadline deadline) {
  // singleBatch: all we want comes in the first reply, so the cursor is closed
  // by the server and the driver sends no killCursors round trip.
  return BsonPtr(BCON_NEW("limit", BCON_INT64(limit), "batchSize", BCON_INT64(limit), "singleBatch",
                          BCON_BOOL(true), "maxTimeMS", BCON_INT64(deadline.remaining_ms()),
                          "projection", "{", "_id", BCON_INT32(1), "age", BCON_INT32(1), "name",
                          BCON_INT32(1), "}"));
}

void append_age(bson_t* doc, std::int64_t age) {
  // Like the Python driver: int32 when it fits, int64 otherwise.
  if (age >= INT32_MIN && age <= INT32_MAX) {
    BSON_APPEND_INT32(doc, "age", static_cast<std::int32_t>(age));
  } else {
    BSON_APPEND_INT64(doc, "age", age);
  }
}

constexpr std::uint32_t kCommandNotFound = 59;

// `hello` (MongoDB 4.4.2+), or the legacy `isMaster` on servers that do not
// know it (mongo-java-server, MongoDB before 4.4.2): both answer the same
// fields GET / reads. `reply` is left initialised either way.
bool run_hello(mongoc_client_t* client, bson_t& reply, bson_error_t& error) {
  BsonPtr hello(BCON_NEW("hello", BCON_INT32(1)));
  if (mongoc_client_command_simple(client, "admin", hello.get(), nullptr, &reply, &error)) {
    return true;
  }
  if (error.code != kCommandNotFound) return false;
  bson_destroy(&reply);
  BsonPtr is_master(BCON_NEW("isMaster", BCON_INT32(1)));
  return mongoc_client_command_simple(client, "admin", is_master.get(), nullptr, &reply, &error);
}

}  // namespace

MongoStore::MongoStore(MongoPool& pool) : pool_(pool) {}

Result<std::string> MongoStore::list_users_json(std::string_view collection, int limit,
                                                Deadline deadline) {
  Lease lease(pool_, "find");
  auto coll = lease.collection(collection);
  bson_t filter = BSON_INITIALIZER;
  auto opts = user_projection_opts(limit, deadline);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), &filter, opts.get(), nullptr));
  std::string out;
  out.reserve(std::size_t{64} * 1024);
  out.append(R"({"users":[)");
  const bson_t* doc = nullptr;
  bool first = true;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    if (!first) out.push_back(',');
    first = false;
    append_user_json(out, doc);
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  out.append("]}");
  return out;
}

Result<std::optional<std::string>> MongoStore::find_user_json(std::string_view collection,
                                                              std::string_view name,
                                                              Deadline deadline) {
  Lease lease(pool_, "find_one");
  auto coll = lease.collection(collection);
  BsonPtr filter(bson_new());
  bson_append_utf8(filter.get(), "name", 4, name.data(), static_cast<int>(name.size()));
  auto opts = user_projection_opts(1, deadline);
  return lease.find_one_json(coll.get(), filter.get(), opts.get(), append_user_json);
}

Result<std::string> MongoStore::insert_user(std::string_view collection, const NewUser& user,
                                            Deadline deadline) {
  (void)deadline;  // inserts are bounded by socketTimeoutMS; maxTimeMS is not valid for them
  Lease lease(pool_, "insert");
  auto coll = lease.collection(collection);
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  BsonPtr doc(bson_new());
  BSON_APPEND_OID(doc.get(), "_id", &oid);
  append_age(doc.get(), user.age);
  bson_append_utf8(doc.get(), "name", 4, user.name.data(), static_cast<int>(user.name.size()));
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, &reply.doc, &error)) {
    return lease.fail(error);
  }
  std::string out;
  append_user_json(out, doc.get());
  return out;
}

Result<std::int64_t> MongoStore::count(std::string_view collection, Deadline deadline) {
  Lease lease(pool_, "count");
  auto coll = lease.collection(collection);
  bson_t filter = BSON_INITIALIZER;
  auto opts = max_time_opts(deadline);
  bson_error_t error;
  Reply reply;
  const std::int64_t n = mongoc_collection_count_documents(coll.get(), &filter, opts.get(), nullptr,
                                                           &reply.doc, &error);
  if (n < 0) return lease.fail(error);
  return n;
}

Result<bool> MongoStore::decrement_if_at_least(std::string_view collection, std::string_view id,
                                               std::string_view field, std::int64_t units,
                                               Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(collection);
  const std::string key(field);
  // One conditional single-document update: the filter and the $inc are
  // applied atomically by the server, so concurrent callers never take more
  // than there is. Never a read followed by a write.
  BsonPtr query(BCON_NEW("_id", BCON_UTF8(std::string(id).c_str()), key.c_str(), "{", "$gte",
                         BCON_INT64(units), "}"));
  BsonPtr update(BCON_NEW("$inc", "{", key.c_str(), BCON_INT64(-units), "}"));
  return lease.modify_one(coll.get(), query.get(), update.get(), deadline);
}

Status MongoStore::ping(Deadline deadline) {
  (void)deadline;
  Lease lease(pool_, "ping");
  BsonPtr cmd(BCON_NEW("ping", BCON_INT32(1)));
  bson_error_t error;
  Reply reply;
  const bool ok =
      mongoc_client_command_simple(lease.client(), "admin", cmd.get(), nullptr, &reply.doc, &error);
  pool_.set_up(ok);
  if (!ok) return lease.fail(error);
  return ok_status();
}

Result<DeploymentInfo> MongoStore::describe(Deadline deadline) {
  Lease lease(pool_, "command");
  DeploymentInfo info;
  bson_error_t error;
  {
    Reply hello;
    if (!run_hello(lease.client(), hello.doc, error)) return lease.fail(error);
    bson_iter_t it;
    info.is_mongos = bson_string(&hello.doc, "msg").value_or("") == "isdbgrid";
    info.is_primary =
        (bson_iter_init_find(&it, &hello.doc, "isWritablePrimary") && bson_iter_as_bool(&it)) ||
        (bson_iter_init_find(&it, &hello.doc, "ismaster") && bson_iter_as_bool(&it));
    info.replica_set_name = bson_string(&hello.doc, "setName");
  }

  std::vector<ServerSummary> servers;
  {
    std::size_t n = 0;
    mongoc_server_description_t** sds = mongoc_client_get_server_descriptions(lease.client(), &n);
    for (std::size_t i = 0; i < n; ++i) {
      const mongoc_host_list_t* host = mongoc_server_description_host(sds[i]);
      servers.push_back({mongoc_server_description_type(sds[i]), {host->host, host->port}});
    }
    mongoc_server_descriptions_destroy_all(sds, n);
  }
  info.topology_type = topology_type_name(servers);
  for (const auto& s : servers) {
    if (s.type == "Unknown") continue;
    info.nodes.push_back(s.address);
    if (s.type == "RSSecondary") info.secondaries.push_back(s.address);
    if (s.type == "RSPrimary" && info.topology_type == "ReplicaSetWithPrimary") {
      info.primary = s.address;
    }
  }

  const bool sharded = info.topology_type == "Sharded";
  if (sharded) {
    Reply shards;
    BsonPtr cmd(BCON_NEW("listShards", BCON_INT32(1)));
    if (mongoc_client_command_simple(lease.client(), "admin", cmd.get(), nullptr, &shards.doc,
                                     &error)) {
      info.shards = parse_list_shards(&shards.doc);
    } else {
      spdlog::debug("listShards unavailable: {}", error.message);
    }
  }
  if (info.replica_set_name) {
    Reply status;
    BsonPtr cmd(BCON_NEW("replSetGetStatus", BCON_INT32(1)));
    if (mongoc_client_command_simple(lease.client(), "admin", cmd.get(), nullptr, &status.doc,
                                     &error)) {
      info.replica_members = parse_replset_status(&status.doc);
    } else {
      spdlog::debug("replSetGetStatus unavailable: {}", error.message);
    }
  }
  collect_collections(lease.client(), info, sharded, deadline);
  return info;
}

void MongoStore::collect_collections(mongoc_client_t* client, DeploymentInfo& info, bool sharded,
                                     Deadline deadline) {
  mongoc_database_t* db = mongoc_client_get_database(client, pool_.options().database.c_str());
  bson_error_t error;
  auto opts = max_time_opts(deadline);
  char** names = mongoc_database_get_collection_names_with_opts(db, opts.get(), &error);
  mongoc_database_destroy(db);
  if (!names) {
    spdlog::warn("listCollections failed: {}", error.message);
    return;
  }
  std::vector<std::string> sorted;
  for (char** name = names; *name; ++name) sorted.emplace_back(*name);
  bson_strfreev(names);
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() > max_collections_) {
    sorted.resize(max_collections_);
    info.collections_truncated = true;
  }
  for (const auto& name : sorted) {
    CollectionStats stats{name, 0, std::nullopt};
    CollectionPtr coll(
        mongoc_client_get_collection(client, pool_.options().database.c_str(), name.c_str()));
    bson_t filter = BSON_INITIALIZER;
    auto count_opts = max_time_opts(deadline);
    stats.documents = std::max<std::int64_t>(
        0, mongoc_collection_count_documents(coll.get(), &filter, count_opts.get(), nullptr,
                                             nullptr, &error));
    if (sharded) {
      BsonPtr pipeline(
          BCON_NEW("pipeline", "[", "{", "$collStats", "{", "count", "{", "}", "}", "}", "]"));
      CursorPtr cursor(mongoc_collection_aggregate(coll.get(), MONGOC_QUERY_NONE, pipeline.get(),
                                                   nullptr, nullptr));
      const bson_t* doc = nullptr;
      std::vector<std::pair<std::string, std::int64_t>> per_shard;
      while (mongoc_cursor_next(cursor.get(), &doc)) {
        if (auto c = parse_collstats_count(doc)) per_shard.push_back(*c);
      }
      if (!mongoc_cursor_error(cursor.get(), &error)) stats.per_shard = std::move(per_shard);
    }
    info.collections.push_back(std::move(stats));
  }
}

namespace {

// Lookups by name are the hot read path; the index makes them O(log n). A
// failure only costs speed, so it is logged, not returned.
void ensure_name_index(mongoc_collection_t* coll, std::string_view collection) {
  BsonPtr keys(BCON_NEW("name", BCON_INT32(1)));
  BsonPtr create(BCON_NEW("createIndexes", BCON_UTF8(std::string(collection).c_str()), "indexes",
                          "[", "{", "key", BCON_DOCUMENT(keys.get()), "name", BCON_UTF8("name_1"),
                          "}", "]"));
  Reply reply;
  bson_error_t error;
  if (!mongoc_collection_write_command_with_opts(coll, create.get(), nullptr, &reply.doc, &error)) {
    spdlog::warn("creating the name index failed: {}", error.message);
  }
}

}  // namespace

Result<MongoStore::FillReport> MongoStore::fill(std::string_view collection, std::int64_t count,
                                                Deadline deadline) {
  Lease lease(pool_, "bulk_write");
  auto coll = lease.collection(collection);
  FillReport report;
  bson_error_t error;
  // Read which names exist, then insert only the missing ones: one query and
  // one bulk insert instead of a round trip per document.
  std::unordered_set<std::string> existing;
  {
    bson_t filter = BSON_INITIALIZER;
    BsonPtr opts(BCON_NEW("projection", "{", "_id", BCON_INT32(0), "name", BCON_INT32(1), "}",
                          "maxTimeMS", BCON_INT64(deadline.remaining_ms())));
    CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), &filter, opts.get(), nullptr));
    const bson_t* doc = nullptr;
    while (mongoc_cursor_next(cursor.get(), &doc)) {
      if (auto name = bson_string(doc, "name")) existing.insert(std::move(*name));
    }
    if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  }
  constexpr std::size_t kBatch = 1000;
  std::vector<BsonPtr> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return ok_status();
    // const void* rather than const bson_t*: bson_t's alignment attribute
    // trips -Wignored-attributes inside std::vector.
    std::vector<const void*> docs;
    docs.reserve(batch.size());
    for (const auto& d : batch) docs.push_back(d.get());
    BsonPtr opts(BCON_NEW("ordered", BCON_BOOL(false)));
    Reply reply;
    if (!mongoc_collection_insert_many(coll.get(), reinterpret_cast<const bson_t**>(docs.data()),
                                       docs.size(), opts.get(), &reply.doc, &error)) {
      return lease.fail(error);
    }
    report.inserted += static_cast<std::int64_t>(batch.size());
    batch.clear();
    return ok_status();
  };
  for (std::int64_t i = 0; i < count; ++i) {
    std::string name = "ly" + std::to_string(i);
    if (existing.count(name)) {
      ++report.existing;
      continue;
    }
    BsonPtr doc(bson_new());
    append_age(doc.get(), i);
    bson_append_utf8(doc.get(), "name", 4, name.data(), static_cast<int>(name.size()));
    batch.push_back(std::move(doc));
    if (batch.size() == kBatch) {
      if (auto st = flush(); !st) return st.error();
    }
  }
  if (auto st = flush(); !st) return st.error();
  ensure_name_index(coll.get(), collection);
  return report;
}

}  // namespace storefront::store
