// The users and service endpoints without sockets.
#include <gtest/gtest.h>

#include <boost/json.hpp>

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
