#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace storefront::app {
namespace {

Result<Config> load(std::map<std::string, std::string> env, std::vector<std::string> args = {}) {
  return load_config(
      [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      args);
}

TEST(Config, DefaultsMatchThePythonService) {
  auto c = load({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->database, "somedb");
  EXPECT_TRUE(c->redis_url.empty());
  EXPECT_EQ(c->max_body_bytes, 1 << 20);
  EXPECT_GE(c->io_threads, 1);
}

TEST(Config, ReadsEnvironmentAndFlagsWin) {
  auto c = load({{"MONGODB_URL", "mongodb://a:27017,b:27017,c:27017"},
                 {"MONGODB_DATABASE_NAME", "shop"},
                 {"PORT", "9000"},
                 {"STOREFRONT_REQUEST_TIMEOUT_MS", "250"}},
                {"--port=9001", "--database", "other"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mongodb_url, "mongodb://a:27017,b:27017,c:27017");
  EXPECT_EQ(c->port, 9001);
  EXPECT_EQ(c->database, "other");
  EXPECT_EQ(c->request_timeout.count(), 250);
}

TEST(Config, InvalidValuesNameTheVariable) {
  auto c = load({{"PORT", "eighty"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("PORT"), std::string::npos);
  c = load({{"PORT", "70000"}});
  ASSERT_FALSE(c);
  c = load({{"MONGODB_URL", "http://nope"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("MONGODB_URL"), std::string::npos);
  c = load({{"LOG_LEVEL", "loud"}});
  ASSERT_FALSE(c);
  c = load({}, {"--no-such-flag=1"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("no-such-flag"), std::string::npos);
  c = load({}, {"--port"});
  ASSERT_FALSE(c);
  c = load({{"REDIS_URL", "redis://a:1"}, {"REDIS_CLUSTER_NODES", "a:1"}});
  ASSERT_FALSE(c);
}

TEST(Config, DescribeMasksCredentials) {
  auto c = load({{"MONGODB_URL", "mongodb://admin:s3cret@mongos1:27017/?authSource=admin"},
                 {"REDIS_URL", "redis://:hunter2@redis:6379/0"}});
  ASSERT_TRUE(c);
  const auto text = describe(*c);
  EXPECT_EQ(text.find("s3cret"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_NE(text.find("mongodb://admin:****@mongos1:27017"), std::string::npos);
}

TEST(Config, MaskCredentials) {
  EXPECT_EQ(mask_credentials("mongodb://u:p@h:1/db"), "mongodb://u:****@h:1/db");
  EXPECT_EQ(mask_credentials("redis://token@h"), "redis://****@h");
  EXPECT_EQ(mask_credentials("mongodb://h:1/?x=a@b"), "mongodb://h:1/?x=a@b");
  EXPECT_EQ(mask_credentials("plain"), "plain");
}

}  // namespace
}  // namespace storefront::app
