#include <gtest/gtest.h>

#include "redis/config.hpp"
#include "redis/impl/cluster_client.hpp"

namespace storefront::redis {
namespace {

std::string error_of(std::string_view url) {
  auto r = parse_redis_url(url);
  EXPECT_FALSE(r.ok()) << url;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  return r.error().message;
}

TEST(RedisUrl, Standalone) {
  auto r = parse_redis_url("redis://127.0.0.1:6380");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->mode, RedisMode::kStandalone);
  ASSERT_EQ(r->nodes.size(), 1U);
  EXPECT_EQ(r->nodes[0].host, "127.0.0.1");
  EXPECT_EQ(r->nodes[0].port, 6380);
  EXPECT_EQ(r->db, 0);
  EXPECT_TRUE(r->password.empty());
  EXPECT_EQ(r->command_timeout, std::chrono::milliseconds(50));
}

TEST(RedisUrl, DefaultPortDbAndPassword) {
  auto r = parse_redis_url("redis://:s%40cret@redis.local/3");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->nodes[0].host, "redis.local");
  EXPECT_EQ(r->nodes[0].port, 6379);
  EXPECT_EQ(r->db, 3);
  EXPECT_EQ(r->password, "s@cret");
  EXPECT_TRUE(r->username.empty());
}

TEST(RedisUrl, UserPasswordAndIpv6) {
  auto r = parse_redis_url("redis://app:pw@[::1]:7000/0");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->username, "app");
  EXPECT_EQ(r->password, "pw");
  EXPECT_EQ(r->nodes[0].host, "::1");
  EXPECT_EQ(r->nodes[0].port, 7000);
  EXPECT_EQ(r->nodes[0].address(), "[::1]:7000");
}

TEST(RedisUrl, Cluster) {
  auto r = parse_redis_url("redis-cluster://10.0.0.1:7000, 10.0.0.2:7001,10.0.0.1:7000");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->mode, RedisMode::kCluster);
  ASSERT_EQ(r->nodes.size(), 2U);  // duplicates dropped
  EXPECT_EQ(r->nodes[1].host, "10.0.0.2");
  EXPECT_EQ(r->nodes[1].port, 7001);
}

TEST(RedisUrl, ClusterWithPassword) {
  auto r = parse_redis_url("redis-cluster://:pw@a:1,b:2/0");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->password, "pw");
  EXPECT_EQ(r->nodes.size(), 2U);
}

TEST(RedisUrl, Errors) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("localhost:6379").find("expected redis://"), std::string::npos);
  EXPECT_NE(error_of("http://x:1").find("unsupported scheme"), std::string::npos);
  EXPECT_NE(error_of("rediss://x:1").find("TLS"), std::string::npos);
  EXPECT_NE(error_of("redis://").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("redis://h:0").find("1..65535"), std::string::npos);
  EXPECT_NE(error_of("redis://h:99999").find("1..65535"), std::string::npos);
  EXPECT_NE(error_of("redis://h:abc").find("'abc'"), std::string::npos);
  EXPECT_NE(error_of("redis://h:1/x").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://h:1/-1").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://a:1,b:2").find("redis-cluster://"), std::string::npos);
  EXPECT_NE(error_of("redis-cluster://a:1,b").find("missing port"), std::string::npos);
  EXPECT_NE(error_of("redis-cluster://a:1,,b:2").find("empty entry"), std::string::npos);
  EXPECT_NE(error_of("redis-cluster://a:1/2").find("only database 0"), std::string::npos);
  EXPECT_NE(error_of("redis://secret@h:1").find("':password@'"), std::string::npos);
  EXPECT_NE(error_of("redis://:%zz@h:1").find("%-escape"), std::string::npos);
  EXPECT_NE(error_of("redis://h:1?timeout=1").find("query"), std::string::npos);
  EXPECT_NE(error_of("redis://::1:6379").find("brackets"), std::string::npos);
  // The password never appears in an error.
  EXPECT_EQ(error_of("redis://:hunter2@h:99999").find("hunter2"), std::string::npos);
}

TEST(RedisClusterNodes, List) {
  auto r = parse_cluster_nodes("127.0.0.1:7000,127.0.0.1:7001");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->mode, RedisMode::kCluster);
  EXPECT_EQ(r->nodes.size(), 2U);
  EXPECT_FALSE(parse_cluster_nodes("").ok());
  EXPECT_FALSE(parse_cluster_nodes("127.0.0.1").ok());
  EXPECT_FALSE(parse_cluster_nodes("a:1,").ok());
}

TEST(RedisConfig, DescribeMasksPassword) {
  auto r = parse_redis_url("redis://:hunter2@cache:6380/2");
  ASSERT_TRUE(r.ok());
  auto text = r->describe();
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(text.find("redis://:***@cache:6380/2"), std::string::npos) << text;
  EXPECT_NE(text.find("command_timeout=50ms"), std::string::npos) << text;

  auto c = parse_redis_url("redis-cluster://u:pw@a:1,b:2");
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->describe().find("redis-cluster://u:***@a:1,b:2 (cluster"), std::string::npos)
      << c->describe();
  EXPECT_EQ(parse_redis_url("redis://h:1")->describe().find("***"), std::string::npos);
}

TEST(ClusterRedirect, Parse) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381", "10.0.0.9");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->type, Redirect::Type::kMoved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->node.host, "127.0.0.1");
  EXPECT_EQ(moved->node.port, 6381);

  auto ask = parse_redirect("ASK 12 :7002", "10.0.0.9");  // unknown endpoint: same host
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->type, Redirect::Type::kAsk);
  EXPECT_EQ(ask->node.host, "10.0.0.9");
  EXPECT_EQ(ask->node.port, 7002);

  auto v6 = parse_redirect("MOVED 1 ::1:7000", "x");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->node.host, "::1");

  EXPECT_FALSE(parse_redirect("ERR wrong", "x").has_value());
  EXPECT_FALSE(parse_redirect("MOVED 99999 h:1", "x").has_value());
  EXPECT_FALSE(parse_redirect("MOVED 1 h", "x").has_value());
  EXPECT_FALSE(parse_redirect("MOVED x h:1", "x").has_value());
}

}  // namespace
}  // namespace storefront::redis
