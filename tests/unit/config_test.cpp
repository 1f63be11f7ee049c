#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

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

TEST(Config, Issue14SettingsHaveTheirDefaults) {
  auto c = load({});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->collections, "*");
  EXPECT_TRUE(c->write_token.empty());
  EXPECT_EQ(c->root_cache.count(), 2000);
  EXPECT_EQ(c->root_max_collections, 100);
  EXPECT_EQ(max_in_flight(*c), 32);  // 2 x the 16 worker threads
  auto fewer = load({{"STOREFRONT_WORKER_THREADS", "4"}});
  EXPECT_EQ(max_in_flight(*fewer), 8);
  auto set = load({{"STOREFRONT_MAX_IN_FLIGHT", "100"}});
  EXPECT_EQ(max_in_flight(*set), 100);
}

TEST(Config, Issue14SettingsAreValidated) {
  auto c = load({{"STOREFRONT_COLLECTIONS", "helloDoc,orders"},
                 {"STOREFRONT_WRITE_TOKEN", "w-secret"},
                 {"STOREFRONT_ROOT_CACHE_MS", "0"},
                 {"STOREFRONT_ROOT_MAX_COLLECTIONS", "5"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->collections, "helloDoc,orders");
  EXPECT_EQ(c->root_cache.count(), 0);
  EXPECT_EQ(describe(*c).find("w-secret"), std::string::npos);
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"STOREFRONT_COLLECTIONS", "a,system.users"},
           {"STOREFRONT_COLLECTIONS", ""},
           {"STOREFRONT_MAX_IN_FLIGHT", "-1"},
           {"STOREFRONT_ROOT_MAX_COLLECTIONS", "0"},
           {"STOREFRONT_ROOT_CACHE_MS", "x"}}) {
    auto bad = load({{name, value}});
    ASSERT_FALSE(bad) << name << "=" << value;
    EXPECT_NE(bad.error().message.find(name), std::string::npos) << bad.error().message;
  }
}

// .env.example ships "change-me" placeholders: a service started with one
// refuses, naming the setting but never printing the value.
TEST(Config, RefusesShippedPlaceholderSecrets) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"MONGODB_URL", "mongodb://storefront:change-me@mongos1:27017/?authSource=admin"}},
       "the MONGODB_URL password"},
      {{{"REDIS_URL", "redis://:change-me@redis:6379/0"}}, "the REDIS_URL password"},
      {{{"REDIS_URL", "redis-cluster://app:change-me@r1:7000,r2:7001"}}, "the REDIS_URL password"},
      {{{"STOREFRONT_ADMIN_TOKEN", "change-me"}}, "STOREFRONT_ADMIN_TOKEN"},
      {{{"STOREFRONT_WRITE_TOKEN", "change-me"}}, "STOREFRONT_WRITE_TOKEN"},
      {{{"CONSUL_HTTP_TOKEN", "change-me"}}, "CONSUL_HTTP_TOKEN"},
  };
  for (const auto& [env, setting] : cases) {
    auto c = load(env);
    ASSERT_FALSE(c) << setting;
    EXPECT_NE(c.error().message.find("refusing to start: " + setting), std::string::npos)
        << c.error().message;
  }
  // A flag is checked like the variable.
  EXPECT_FALSE(load({}, {"--admin-token=change-me"}));
  // Real secrets, and a placeholder only as part of one, are fine.
  EXPECT_TRUE(load({{"MONGODB_URL", "mongodb://storefront:3f9a1c@mongos1:27017/"},
                    {"REDIS_URL", "redis://:change-me-now-3f9a@redis:6379"},
                    {"STOREFRONT_ADMIN_TOKEN", "x-change-me"},
                    {"MONGODB_DATABASE_NAME", "change-me"}}));
}

}  // namespace
}  // namespace storefront::app
