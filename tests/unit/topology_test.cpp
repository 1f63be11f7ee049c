// Replies captured from a MongoDB 7 sharded cluster and replica set: the test
// server (the mongo-java-server stand-in, a standalone) cannot produce them, so these paths are
// covered here.
#include "store/topology.hpp"

#include <gtest/gtest.h>

#include "bson_doc.hpp"

namespace storefront::store {
namespace {

using testing::Doc;

TEST(TopologyType, FollowsServerTypes) {
  EXPECT_EQ(topology_type_name({{"Standalone", {"h", 1}}}), "Single");
  EXPECT_EQ(topology_type_name({{"Mongos", {"a", 1}}, {"Mongos", {"b", 1}}}), "Sharded");
  EXPECT_EQ(topology_type_name({{"RSPrimary", {"a", 1}}, {"RSSecondary", {"b", 1}}}),
            "ReplicaSetWithPrimary");
  EXPECT_EQ(topology_type_name({{"RSSecondary", {"a", 1}}, {"Unknown", {"b", 1}}}),
            "ReplicaSetNoPrimary");
  EXPECT_EQ(topology_type_name({{"Unknown", {"a", 1}}}), "Unknown");
  EXPECT_EQ(topology_type_name({}), "Unknown");
}

TEST(ListShards, ParsesShardIdsAndHosts) {
  Doc reply(R"J({
    "shards": [
      {"_id": "shard1", "host": "shard1/shard1-1:27018,shard1-2:27018,shard1-3:27018",
       "state": 1, "topologyTime": {"$timestamp": {"t": 1700000000, "i": 3}}},
      {"_id": "shard2", "host": "shard2/shard2-1:27018,shard2-2:27018,shard2-3:27018",
       "state": 1}
    ],
    "ok": 1.0,
    "$clusterTime": {"clusterTime": {"$timestamp": {"t": 1700000100, "i": 1}}}
  })J");
  auto shards = parse_list_shards(reply.get());
  ASSERT_TRUE(shards);
  ASSERT_EQ(shards->size(), 2u);
  EXPECT_EQ((*shards)[0].first, "shard1");
  EXPECT_EQ((*shards)[0].second, "shard1/shard1-1:27018,shard1-2:27018,shard1-3:27018");
  EXPECT_EQ((*shards)[1].first, "shard2");
}

TEST(ListShards, NoShardsArrayIsNull) {
  Doc reply(R"J({"ok": 0, "errmsg": "no such command: 'listShards'", "code": 59})J");
  EXPECT_FALSE(parse_list_shards(reply.get()));
}

TEST(ReplSetStatus, ParsesMembersAndStates) {
  Doc reply(R"J({
    "set": "shard1", "myState": 1,
    "members": [
      {"_id": 0, "name": "shard1-1:27018", "health": 1.0, "state": 1, "stateStr": "PRIMARY"},
      {"_id": 1, "name": "shard1-2:27018", "health": 1.0, "state": 2, "stateStr": "SECONDARY"},
      {"_id": 2, "name": "shard1-3:27018", "health": 0.0, "state": 8,
       "stateStr": "(not reachable/healthy)"}
    ],
    "ok": 1.0
  })J");
  auto members = parse_replset_status(reply.get());
  ASSERT_TRUE(members);
  ASSERT_EQ(members->size(), 3u);
  EXPECT_EQ((*members)[0].name, "shard1-1:27018");
  EXPECT_EQ((*members)[0].state, "PRIMARY");
  EXPECT_TRUE((*members)[0].healthy);
  EXPECT_EQ((*members)[2].state, "(not reachable/healthy)");
  EXPECT_FALSE((*members)[2].healthy);
}

TEST(ReplSetStatus, StandaloneErrorIsNull) {
  Doc reply(R"J({"ok": 0, "errmsg": "not running with --replSet", "code": 76})J");
  EXPECT_FALSE(parse_replset_status(reply.get()));
}

TEST(CollStats, ReadsShardAndCount) {
  Doc doc(R"J({"ns": "somedb.helloDoc", "shard": "shard2", "host": "shard2-1:27018",
              "localTime": {"$date": "2024-01-01T00:00:00Z"}, "count": 513})J");
  auto c = parse_collstats_count(doc.get());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, "shard2");
  EXPECT_EQ(c->second, 513);
  Doc unsharded(R"J({"ns": "somedb.helloDoc", "count": 1000})J");
  EXPECT_FALSE(parse_collstats_count(unsharded.get()));
}

}  // namespace
}  // namespace storefront::store
