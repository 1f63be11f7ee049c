// The users and service endpoints without sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <future>
#include <thread>
#include <vector>

#include "api_harness.hpp"

namespace storefront::api {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

TEST(UsersApi, CreateListShowCount) {
  ApiHarness h;
  auto created = h.call(verb::post, "/c1/users", R"({"age":30,"name":"ann"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(json::parse(created.body).at("name"), "ann");
  EXPECT_EQ(json::parse(h.get("/c1/users").body).at("users").as_array().size(), 1u);
  EXPECT_EQ(h.get("/c1/users/ann").status, 200);
  auto missing = h.get("/c1/users/bob");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"detail":"User bob not found"})");
  EXPECT_EQ(h.get("/c1/count").body, R"({"status":"OK","mongo_db":"somedb","items_count":1})");
}

TEST(UsersApi, InvalidBodiesAndNames) {
  ApiHarness h;
  auto invalid = h.call(verb::post, "/c1/users", R"({"age":"x"})");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(json::parse(invalid.body).at("detail").as_array().size(), 2u);
  EXPECT_EQ(h.get("/system.users/users").status, 400);
  EXPECT_EQ(h.call(verb::put, "/c1/users").status, 405);
}

TEST(UsersApi, DatabaseDownIs503WithRetryAfter) {
  ApiHarness h;
  h.user_store.down = true;
  auto r = h.get("/c1/users");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("Retry-After"), "1");
  EXPECT_EQ(r.body, R"({"detail":"Database unavailable, retry later"})");
}

TEST(Readiness, AnsweredFromStateEvenWhenTheDatabaseIsDown) {
  ApiHarness h;
  h.user_store.down = true;
  h.products.down = true;
  auto r = h.get("/health/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"OK","mongo":"unknown","cache":"up"})");
  h.api->set_draining();
  auto draining = h.get("/health/ready");
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(draining.header("Retry-After"), "1");
  EXPECT_EQ(json::parse(draining.body).at("status"), "draining");
}

TEST(Readiness, DoesNotNeedAWorker) {
  ApiHarness h;
  h.pool.stop();  // nothing can be offloaded any more
  EXPECT_EQ(h.get("/health/ready").status, 200);
  EXPECT_EQ(h.get("/c1/users").status, 503);  // the worker queue refuses
}

TEST(Metrics, CountCatalogRoutesByTemplate) {
  ApiHarness h;
  h.get("/catalog/products/x1");
  h.get("/catalog/products/x2");
  const auto text = h.get("/metrics").body;
  EXPECT_NE(
      text.find(
          R"(http_server_requests_total{method="GET",route="/catalog/products/{sku}",status="404"} 2)"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace storefront::api

namespace storefront::api {
namespace {

// Issue 14: the collection list, the write token, GET / from memory, shedding.

TEST(CollectionPolicyApi, NamesOutsideTheListAre404AndNeverReachTheStore) {
  ApiHarness h([](ApiOptions& o) { o.collections = CollectionPolicy::parse("helloDoc").value(); },
               0);
  EXPECT_EQ(h.call(verb::post, "/helloDoc/users", R"({"age":1,"name":"a"})").status, 201);
  for (const char* path : {"/other/users", "/other/count", "/other/users/a"}) {
    auto r = h.get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, R"({"detail":"Collection other not found"})") << path;
  }
  auto post = h.call(verb::post, "/other/users", R"({"age":1,"name":"a"})");
  EXPECT_EQ(post.status, 404);
  EXPECT_EQ(h.user_store.count("other", Deadline::after(std::chrono::seconds(1))).value(), 0);
  // An invalid name is still a 400, list or not.
  EXPECT_EQ(h.get("/%22/users").status, 400);
}

TEST(WriteToken, PostNeedsTheBearerTokenWhenSet) {
  ApiHarness h([](ApiOptions& o) { o.write_token = "w-token"; }, 0);
  const std::string body = R"({"age":1,"name":"a"})";
  auto none = h.call(verb::post, "/c1/users", body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(none.body, R"({"detail":"Not authenticated"})");
  EXPECT_EQ(h.call(verb::post, "/c1/users", body, {{"Authorization", "Bearer w-token2"}}).status,
            401);
  EXPECT_EQ(h.call(verb::post, "/c1/users", "{}", {{"Authorization", "Bearer nope"}}).status,
            401);  // authentication before validation
  EXPECT_EQ(h.get("/c1/count").body, R"({"status":"OK","mongo_db":"somedb","items_count":0})");
  EXPECT_EQ(h.call(verb::post, "/c1/users", body, {{"Authorization", "bearer w-token"}}).status,
            201);
  EXPECT_EQ(h.get("/c1/users").status, 200);  // reads stay open
}

TEST(WriteToken, UnsetKeepsWritesOpen) {
  ApiHarness h;
  EXPECT_EQ(h.call(verb::post, "/c1/users", R"({"age":1,"name":"a"})").status, 201);
}

TEST(RootCache, ServesGetRootFromMemoryWithinTheTtl) {
  std::atomic<int> describes{0};
  ApiHarness h([](ApiOptions& o) { o.root_cache_ttl = std::chrono::milliseconds(300); }, 0);
  h.user_store.on_call = [&] { ++describes; };
  auto first = h.get("/");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body).at("collections_truncated"), false);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(h.get("/").body, first.body);
  EXPECT_EQ(describes.load(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_EQ(h.get("/").status, 200);
  EXPECT_EQ(describes.load(), 2);
}

TEST(RootCache, ZeroTtlAsksTheDatabaseEveryTime) {
  std::atomic<int> describes{0};
  ApiHarness h;
  h.user_store.on_call = [&] { ++describes; };
  h.get("/");
  h.get("/");
  EXPECT_EQ(describes.load(), 2);
}

TEST(Shedding, RefusesWith503AtTheLimitAndCountsByRoute) {
  std::promise<void> open;
  auto gate = open.get_future().share();
  ApiHarness h([](ApiOptions&) {}, 2);
  h.user_store.on_call = [gate] { gate.wait(); };
  // Two counts held on the workers fill the limit...
  std::vector<std::future<Answer>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::async(std::launch::async, [&h] { return h.get("/c1/count"); }));
  }
  for (int spin = 0; h.offloader.in_flight() < 2 && spin < 5000; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(h.offloader.in_flight(), 2u);
  // ...so the next database-bound request is refused at once.
  auto shed = h.get("/c1/users");
  EXPECT_EQ(shed.status, 503);
  EXPECT_EQ(shed.header("Retry-After"), "1");
  EXPECT_EQ(shed.body, R"({"detail":"Server overloaded, retry later"})");
  EXPECT_EQ(h.get("/health/ready").status, 200);  // not database-bound: never shed
  open.set_value();
  for (auto& f : held) EXPECT_EQ(f.get().status, 200);
  EXPECT_EQ(h.get("/c1/users").status, 200);
  const auto text = h.get("/metrics").body;
  EXPECT_NE(text.find(R"(storefront_shed_total{route="/{collection}/users"} 1)"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace storefront::api
