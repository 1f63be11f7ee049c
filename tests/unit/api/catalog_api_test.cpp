// The catalog handlers without sockets: fake store and cache (tests/fakes).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/admin_auth.hpp"
#include "api/http_caching.hpp"
#include "api_harness.hpp"

namespace storefront::api {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

const std::map<std::string, std::string> kAdmin{{"Authorization", "Bearer s3cret"}};

std::string product_body(const std::string& name, const std::string& category,
                         std::int64_t amount = 1990) {
  return fmt::format(R"({{"name":"{}","category":"{}","price":{{"amount":{},"currency":"RUB"}},)"
                     R"("media":[{{"kind":"image","path":"p/{}.png","width":64,"height":64}}],)"
                     R"("attributes":{{"color":"black"}}}})",
                     name, category, amount, name);
}

class CatalogApiTest : public ::testing::Test {
 protected:
  void put(const std::string& sku, const std::string& category = "phones") {
    auto r = h.call(verb::put, "/catalog/products/" + sku, product_body(sku, category), kAdmin);
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.status << " " << r.body;
  }
  ApiHarness h;
};

TEST_F(CatalogApiTest, PutCreatesThenReplaces) {
  auto created = h.call(verb::put, "/catalog/products/sku-1", product_body("A", "phones"), kAdmin);
  EXPECT_EQ(created.status, 201) << created.body;
  auto replaced = h.call(verb::put, "/catalog/products/sku-1", product_body("B", "phones"), kAdmin);
  EXPECT_EQ(replaced.status, 200);
  EXPECT_EQ(json::parse(replaced.body).at("name"), "B");
  auto shown = h.get("/catalog/products/sku-1");
  ASSERT_EQ(shown.status, 200);
  auto product = json::parse(shown.body);
  EXPECT_EQ(product.at("sku"), "sku-1");
  EXPECT_EQ(product.at("media").at(0).at("url"), "/media/p/B.png");
}

TEST_F(CatalogApiTest, ReadsCarryAStrongETagAndCacheControl) {
  put("sku-1");
  auto r = h.get("/catalog/products/sku-1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("ETag"), strong_etag(r.body));
  EXPECT_EQ(r.header("ETag").front(), '"');
  EXPECT_EQ(r.header("Cache-Control"), "public, max-age=30");
  EXPECT_EQ(r.header("X-Cache"), "MISS");
  EXPECT_EQ(h.get("/catalog/products/sku-1").header("X-Cache"), "HIT");
}

TEST_F(CatalogApiTest, IfNoneMatchGetsA304WithoutBody) {
  put("sku-1");
  const auto etag = h.get("/catalog/products/sku-1").header("ETag");
  for (const auto& header : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    auto r = h.get("/catalog/products/sku-1", {{"If-None-Match", header}});
    EXPECT_EQ(r.status, 304) << header;
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(r.header("ETag"), etag);
    EXPECT_EQ(r.header("Cache-Control"), "public, max-age=30");
  }
  EXPECT_EQ(h.get("/catalog/products/sku-1", {{"If-None-Match", "\"other\""}}).status, 200);
}

TEST_F(CatalogApiTest, PagesWalkEverySkuOnceInOrder) {
  for (int i = 0; i < 7; ++i) put(fmt::format("sku-{}", i), i % 2 ? "phones" : "tablets");
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    auto r = h.get("/catalog/products?limit=3" + (after.empty() ? "" : "&after=" + after));
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json::parse(r.body);
    for (const auto& p : body.at("products").as_array()) {
      seen.emplace_back(p.at("sku").as_string());
    }
    if (body.at("next").is_null()) break;
    after = std::string(body.at("next").as_string());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"sku-0", "sku-1", "sku-2", "sku-3", "sku-4", "sku-5",
                                            "sku-6"}));
  auto phones = json::parse(h.get("/catalog/products?category=phones").body);
  EXPECT_EQ(phones.at("products").as_array().size(), 3u);
  auto categories = json::parse(h.get("/catalog/categories").body);
  EXPECT_EQ(json::serialize(categories),
            R"({"categories":[{"name":"phones","products":3},{"name":"tablets","products":4}]})");
}

TEST_F(CatalogApiTest, UnknownProductIs404WithDetail) {
  auto r = h.get("/catalog/products/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"detail":"Product nope not found"})");
  auto removed = h.call(verb::delete_, "/catalog/products/nope", "", kAdmin);
  EXPECT_EQ(removed.status, 404);
}

TEST_F(CatalogApiTest, DeleteIs204AndInvalidatesTheCache) {
  put("sku-1");
  ASSERT_EQ(h.get("/catalog/products/sku-1").status, 200);
  ASSERT_EQ(h.get("/catalog/products/sku-1").header("X-Cache"), "HIT");
  auto r = h.call(verb::delete_, "/catalog/products/sku-1", "", kAdmin);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(h.get("/catalog/products/sku-1").status, 404);
}

TEST_F(CatalogApiTest, AdminNeedsTheBearerToken) {
  const auto body = product_body("A", "phones");
  auto none = h.call(verb::put, "/catalog/products/sku-1", body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(
      h.call(verb::put, "/catalog/products/sku-1", body, {{"Authorization", "Bearer no"}}).status,
      401);
  EXPECT_EQ(
      h.call(verb::put, "/catalog/products/sku-1", body, {{"Authorization", "s3cret"}}).status,
      401);
  EXPECT_EQ(h.call(verb::delete_, "/catalog/products/sku-1").status, 401);
  EXPECT_EQ(h.call(verb::put, "/catalog/products/sku-1", body, {{"Authorization", "bearer s3cret"}})
                .status,
            201);
}

TEST(CatalogAdminDisabled, Answers403) {
  ApiHarness h("");
  auto r = h.call(verb::put, "/catalog/products/sku-1", product_body("A", "phones"), kAdmin);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, R"({"detail":"admin API disabled"})");
  EXPECT_EQ(h.call(verb::delete_, "/catalog/products/sku-1", "", kAdmin).status, 403);
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abd", "abc"));
  EXPECT_FALSE(constant_time_equals("ab", "abc"));
  EXPECT_FALSE(constant_time_equals("abcd", "abc"));
  EXPECT_FALSE(constant_time_equals("", "abc"));
}

// Every 422 row of the issue: the field's loc and pydantic's type.
TEST_F(CatalogApiTest, InvalidFieldsAre422InFastApiShape) {
  struct Case {
    std::string body;
    std::string type;
    std::string loc;
  };
  const std::string price = R"("price":{"amount":1,"currency":"RUB"})";
  const std::vector<Case> cases = {
      {R"({"category":"c",)" + price + "}", "missing", R"(["body","name"])"},
      {R"({"name":"","category":"c",)" + price + "}", "string_too_short", R"(["body","name"])"},
      {R"({"name":")" + std::string(201, 'x') + R"(","category":"c",)" + price + "}",
       "string_too_long", R"(["body","name"])"},
      {R"({"name":5,"category":"c",)" + price + "}", "string_type", R"(["body","name"])"},
      {R"({"name":"n","category":"c","price":{"amount":-1,"currency":"RUB"}})",
       "greater_than_equal", R"(["body","price","amount"])"},
      {R"({"name":"n","category":"c","price":{"amount":9007199254740992,"currency":"RUB"}})",
       "less_than_equal", R"(["body","price","amount"])"},
      {R"({"name":"n","category":"c","price":{"amount":1.5,"currency":"RUB"}})", "int_from_float",
       R"(["body","price","amount"])"},
      {R"({"name":"n","category":"c","price":{"amount":1,"currency":"rub"}})",
       "string_pattern_mismatch", R"(["body","price","currency"])"},
      {R"({"name":"n","category":"c"})", "missing", R"(["body","price"])"},
      {R"({"name":"n","category":"c",)" + price + R"(,"media":[{"kind":"audio","path":"a.png"}]})",
       "literal_error", R"(["body","media",0,"kind"])"},
      {R"({"name":"n","category":"c",)" + price + R"(,"media":[{"kind":"image","path":"../a"}]})",
       "string_pattern_mismatch", R"(["body","media",0,"path"])"},
      {R"({"name":"n","category":"c",)" + price +
           R"(,"media":[{"kind":"image","path":"https://x/a"}]})",
       "string_pattern_mismatch", R"(["body","media",0,"path"])"},
      {R"({"name":"n","category":"c",)" + price + R"(,"media":[{"kind":"image","url":"/a"}]})",
       "missing", R"(["body","media",0,"path"])"},
      {R"({"name":"n","category":"c",)" + price + R"(,"media":"x"})", "list_type",
       R"(["body","media"])"},
      {R"({"name":"n","category":"c",)" + price + R"(,"attributes":[]})", "dict_type",
       R"(["body","attributes"])"},
      {R"({"name":"n","category":"c","price":{"amount":"1","currency":"RUB"}})", "int_type",
       R"(["body","price","amount"])"},
      {"[1]", "model_attributes_type", R"(["body"])"},
      {"{", "json_invalid", R"(["body",1])"},
  };
  for (const auto& c : cases) {
    auto r = h.call(verb::put, "/catalog/products/sku-1", c.body, kAdmin);
    ASSERT_EQ(r.status, 422) << c.body << " -> " << r.body;
    auto detail = json::parse(r.body).at("detail").as_array();
    ASSERT_FALSE(detail.empty());
    EXPECT_EQ(detail[0].at("type"), c.type.c_str()) << c.body << " -> " << r.body;
    EXPECT_EQ(json::serialize(detail[0].at("loc")), c.loc) << c.body;
  }
  std::string many = R"({"name":"n","category":"c",)" + price + R"(,"media":[)";
  for (int i = 0; i < 21; ++i) many += std::string(i ? "," : "") + R"({"kind":"image","path":"a"})";
  auto r = h.call(verb::put, "/catalog/products/sku-1", many + "]}", kAdmin);
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body).at("detail").at(0).at("type"), "too_long");
  auto bad_sku = h.call(verb::put, "/catalog/products/-bad", product_body("A", "c"), kAdmin);
  ASSERT_EQ(bad_sku.status, 422);
  EXPECT_EQ(json::serialize(json::parse(bad_sku.body).at("detail").at(0).at("loc")),
            R"(["path","sku"])");
  EXPECT_EQ(h.products.reads.load(), 0);  // nothing reached the store
}

TEST_F(CatalogApiTest, InvalidQueriesAre422) {
  for (const auto& [query, type] :
       std::vector<std::pair<std::string, std::string>>{{"limit=0", "greater_than_equal"},
                                                        {"limit=101", "less_than_equal"},
                                                        {"limit=x", "int_parsing"},
                                                        {"after=..", "string_pattern_mismatch"},
                                                        {"category=", "string_too_short"},
                                                        {"category=%FF", "string_unicode"},
                                                        {"after=%FF", "string_pattern_mismatch"}}) {
    auto r = h.get("/catalog/products?" + query);
    ASSERT_EQ(r.status, 422) << query;
    EXPECT_EQ(json::parse(r.body).at("detail").at(0).at("type"), type.c_str()) << query;
  }
}

TEST_F(CatalogApiTest, DatabaseDownServesWhatTheCacheHoldsAsStale) {
  put("sku-1");
  ASSERT_EQ(h.get("/catalog/products/sku-1").status, 200);
  h.products.down = true;
  h.cache.expired = true;
  auto stale = h.get("/catalog/products/sku-1");
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.header("X-Cache"), "STALE");
  auto uncached = h.get("/catalog/products/sku-2");
  EXPECT_EQ(uncached.status, 503);
  EXPECT_EQ(uncached.header("Retry-After"), "1");
  auto write = h.call(verb::put, "/catalog/products/sku-3", product_body("C", "x"), kAdmin);
  EXPECT_EQ(write.status, 503);
}

TEST(CatalogWithoutCache, HasNoXCacheHeader) {
  ApiHarness h("s3cret", false);
  ASSERT_EQ(h.call(verb::put, "/catalog/products/a", product_body("A", "c"), kAdmin).status, 201);
  auto r = h.get("/catalog/products/a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("X-Cache"), "");
  EXPECT_FALSE(r.header("ETag").empty());
}

TEST_F(CatalogApiTest, WrongMethodsAre405WithAllow) {
  auto r = h.call(verb::post, "/catalog/products/sku-1");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, PUT, DELETE");
  EXPECT_EQ(h.call(verb::delete_, "/catalog/products").status, 405);
}

}  // namespace
}  // namespace storefront::api

namespace storefront::api {
namespace {

TEST(CatalogKnownDown, FailsFastWithoutTouchingTheStore) {
  ApiHarness h("s3cret", false);
  h.direct_catalog.fail_fast_when([] { return true; });
  auto r = h.get("/catalog/products/sku-1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("Retry-After"), "1");
  EXPECT_EQ(h.get("/catalog/categories").status, 503);
  EXPECT_EQ(h.call(boost::beast::http::verb::delete_, "/catalog/products/sku-1", "",
                   {{"Authorization", "Bearer s3cret"}})
                .status,
            503);
  EXPECT_EQ(h.products.reads.load(), 0);
}

}  // namespace
}  // namespace storefront::api
