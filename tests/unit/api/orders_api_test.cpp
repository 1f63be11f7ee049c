// Stock and order handlers without sockets: fake catalog, stock and orders
// (tests/fakes) behind the real handlers and the real OrderFlow.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api_harness.hpp"
#include "store/order_sweep.hpp"

namespace storefront::api {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

const std::map<std::string, std::string> kAdmin{{"Authorization", "Bearer s3cret"}};

class OrdersApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [sku, amount] : {std::pair{"a", 1000}, {"b", 250}}) {
      store::ProductInput p;
      p.name = sku;
      p.category = "phones";
      p.amount = amount;
      p.currency = "RUB";
      ASSERT_TRUE(h.products.put_product(sku, p, Deadline::after(std::chrono::seconds(1))));
      h.stock.put(sku, 5);
    }
  }
  Answer order(const std::string& items, const std::map<std::string, std::string>& headers = {}) {
    return h.post("/orders", fmt::format(R"({{"customer_id":"c1","items":[{}]}})", items), headers);
  }
  std::string stock_of(const std::string& sku) {
    return h.get("/catalog/products/" + sku + "/stock").body;
  }
  ApiHarness h;
};

TEST_F(OrdersApiTest, ConfirmedOrderCarriesCatalogPricesAndMovesStockToSold) {
  auto r = order(R"({"sku":"a","quantity":2},{"sku":"b","quantity":1})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto o = json::parse(r.body).as_object();
  EXPECT_EQ(o.at("status"), "confirmed");
  EXPECT_EQ(o.at("total"), json::parse(R"({"amount":2250,"currency":"RUB"})"));
  EXPECT_EQ(o.at("items").at(0).at("unit_price").at("amount"), 1000);
  EXPECT_EQ(stock_of("a"), R"({"sku":"a","available":3,"reserved":0,"sold":2})");
  auto shown = h.get("/orders/" + std::string(o.at("id").as_string()));
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body, r.body);
}

TEST_F(OrdersApiTest, ShortSecondItemRefusesAndReturnsTheFirst) {
  auto r = order(R"({"sku":"a","quantity":2},{"sku":"b","quantity":6})");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.body,
            R"({"detail":"Insufficient stock for b","sku":"b","requested":6,"available":5})");
  EXPECT_EQ(stock_of("a"), R"({"sku":"a","available":5,"reserved":0,"sold":0})");
  EXPECT_TRUE(h.stock.get("a").pending.empty());
}

TEST_F(OrdersApiTest, DatabaseFailingMidOrderIs503AndHoldsNoStock) {
  h.stock.fail_sku = "b";
  auto r = order(R"({"sku":"a","quantity":2},{"sku":"b","quantity":1})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(r.header("Retry-After").empty());
  EXPECT_EQ(h.stock.get("a").available, 5);
  EXPECT_EQ(h.stock.get("a").reserved, 0);
  // Whether the failed reserve of b applied is unknown: the order stays
  // pending for the sweep, which rolls it back once b answers again.
  ASSERT_EQ(h.orders.snapshot().size(), 1U);
  EXPECT_EQ(h.orders.snapshot()[0].status, store::OrderStatus::kPending);
  h.stock.fail_sku.clear();
  fakes::FakeLeaseStore leases;
  store::SweepOptions options;
  options.owner = "test";
  options.stuck = std::chrono::milliseconds(-1000);  // take even this fresh order
  store::OrderSweep sweep(h.flow, h.orders, leases, options, h.registry);
  EXPECT_EQ(sweep.run_once().rolled_back, 1);
  EXPECT_EQ(h.orders.snapshot()[0].status, store::OrderStatus::kFailed);
  EXPECT_FALSE(h.orders.snapshot()[0].idempotency_key);
}

TEST_F(OrdersApiTest, SameKeyReplaysOtherBodyIs422RunningIs409) {
  const std::map<std::string, std::string> key{{"Idempotency-Key", "k-1"}};
  auto first = order(R"({"sku":"a","quantity":1})", key);
  ASSERT_EQ(first.status, 201);
  auto again = order(R"({"sku":"a",  "quantity":1})", key);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(h.stock.get("a").sold, 1);
  auto other = order(R"({"sku":"a","quantity":2})", key);
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(json::parse(other.body).at("detail").at(0).at("type"), "idempotency_key_reused");
  store::Order running;
  running.id = store::new_order_id();
  running.idempotency_key = "k-2";
  running.request_hash = "whatever";
  h.orders.put(running);
  auto busy = order(R"({"sku":"a","quantity":1})", {{"Idempotency-Key", "k-2"}});
  // Another body than the running one: still the key's first request decides.
  EXPECT_EQ(busy.status, 422);
}

TEST_F(OrdersApiTest, KeyOfARunningRequestIs409WithRetryAfter) {
  const std::map<std::string, std::string> key{{"Idempotency-Key", "k-3"}};
  ASSERT_EQ(order(R"({"sku":"a","quantity":1})", key).status, 201);
  auto stored = h.orders.snapshot().at(0);
  // The same order seen while its first request still runs.
  stored.id = store::new_order_id();
  stored.status = store::OrderStatus::kPending;
  stored.idempotency_key = "k-4";
  h.orders.put(stored);
  auto busy = order(R"({"sku":"a","quantity":1})", {{"Idempotency-Key", "k-4"}});
  EXPECT_EQ(busy.status, 409) << busy.body;
  EXPECT_EQ(busy.header("Retry-After"), "1");
}

TEST_F(OrdersApiTest, CancelTwiceReturnsUnitsOnce) {
  auto placed = json::parse(order(R"({"sku":"a","quantity":3})").body);
  const std::string url = fmt::format("/orders/{}/cancel", placed.at("id").as_string().c_str());
  auto first = h.post(url, "");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body).at("status"), "cancelled");
  auto second = h.post(url, "");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(stock_of("a"), R"({"sku":"a","available":5,"reserved":0,"sold":0})");
  EXPECT_TRUE(h.stock.get("a").pending.empty());
  EXPECT_EQ(h.post("/orders/0123456789abcdef01234567/cancel", "").status, 404);
}

TEST_F(OrdersApiTest, BadRequestsAre422AndUnknownOrdersAre404) {
  EXPECT_EQ(order(R"({"sku":"zzz","quantity":1})").status, 422);
  EXPECT_EQ(order(R"({"sku":"a","quantity":0})").status, 422);
  EXPECT_EQ(order(R"({"sku":"a","quantity":1},{"sku":"a","quantity":1})").status, 422);
  EXPECT_EQ(h.post("/orders", "{").status, 422);
  EXPECT_EQ(
      order(R"({"sku":"a","quantity":1})", {{"Idempotency-Key", std::string(256, 'k')}}).status,
      422);
  auto missing = h.get("/orders/0123456789abcdef01234567");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"detail":"Order 0123456789abcdef01234567 not found"})");
  EXPECT_EQ(h.get("/orders/nope").status, 404);
  EXPECT_TRUE(h.orders.snapshot().empty());
}

TEST_F(OrdersApiTest, AdminStockNeedsTheTokenAndNeverGoesNegative) {
  EXPECT_EQ(h.post("/catalog/products/a/stock", R"({"delta":1})").status, 401);
  auto added = h.post("/catalog/products/a/stock", R"({"delta":3})", kAdmin);
  EXPECT_EQ(added.body, R"({"sku":"a","available":8,"reserved":0,"sold":0})");
  auto removed = h.post("/catalog/products/a/stock", R"({"delta":-9})", kAdmin);
  EXPECT_EQ(removed.status, 409);
  EXPECT_EQ(h.stock.get("a").available, 8);
  EXPECT_EQ(h.post("/catalog/products/nope/stock", R"({"delta":1})", kAdmin).status, 404);
  EXPECT_EQ(h.get("/catalog/products/nope/stock").status, 404);
  EXPECT_EQ(h.post("/catalog/products/a/stock", R"({"delta":"1"})", kAdmin).status, 422);
}

TEST_F(OrdersApiTest, DatabaseDownIs503WithRetryAfter) {
  h.stock.down = true;
  h.orders.down = true;
  auto r = order(R"({"sku":"a","quantity":1})");
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.header("Retry-After").empty());
  EXPECT_EQ(h.get("/catalog/products/a/stock").status, 503);
}

}  // namespace
}  // namespace storefront::api
