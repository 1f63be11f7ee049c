#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <variant>

#include "api/order_validation.hpp"
#include "api/product_validation.hpp"
#include "api/router.hpp"
#include "api/validation.hpp"

namespace storefront::api {
namespace {

namespace json = boost::json;

const json::value& document() {
  static const json::value kDoc = json::parse(openapi_json());
  return kDoc;
}

// A JSON pointer into the document ("/components/schemas/Sku/pattern").
const json::value& spec(std::string_view pointer) {
  return document().at_pointer(pointer);
}

std::int64_t spec_int(std::string_view pointer) {
  return spec(pointer).to_number<std::int64_t>();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TEST(OpenApi, EveryRouteHasItsOperations) {
  const auto& paths = spec("/paths").as_object();
  std::size_t documented = 0;
  for (const RouteSpec& route : route_table()) {
    if (route.openapi_path.empty()) continue;
    ++documented;
    ASSERT_TRUE(paths.contains(route.openapi_path)) << route.openapi_path;
    const auto& item = paths.at(route.openapi_path).as_object();
    std::string_view methods = route.methods;
    std::size_t operations = 0;
    while (!methods.empty()) {
      const auto comma = methods.find(',');
      const auto method = lower(methods.substr(0, comma));
      EXPECT_TRUE(item.contains(method)) << route.openapi_path << " " << method;
      EXPECT_TRUE(item.at(method).as_object().contains("responses")) << route.openapi_path;
      ++operations;
      methods = comma == std::string_view::npos ? "" : methods.substr(comma + 2);
    }
    // No operation in the document that the route would answer with a 405.
    const std::size_t shared = item.contains("parameters") ? 1 : 0;
    EXPECT_EQ(item.size(), operations + shared) << route.openapi_path;
  }
  EXPECT_EQ(paths.size(), documented);
  EXPECT_EQ(spec("/info/version").as_string(), STOREFRONT_VERSION);
}

TEST(OpenApi, OnlyAssetsAndNonRoutesAreLeftOut) {
  for (const RouteSpec& route : route_table()) {
    const bool undocumented = route.route == Route::kDocsAsset ||
                              route.route == Route::kUnmatched || route.route == Route::kBadTarget;
    EXPECT_EQ(route.openapi_path.empty(), undocumented) << route.metrics_template;
  }
}

TEST(OpenApi, EveryReferenceResolves) {
  // Walks the document: a $ref to a missing component is a broken spec.
  std::vector<const json::value*> todo{&document()};
  std::size_t refs = 0;
  while (!todo.empty()) {
    const json::value* v = todo.back();
    todo.pop_back();
    if (v->is_array()) {
      for (const auto& x : v->get_array()) todo.push_back(&x);
    } else if (v->is_object()) {
      for (const auto& [key, x] : v->get_object()) {
        if (key == "$ref") {
          ++refs;
          EXPECT_NO_THROW(spec(std::string(x.as_string()).substr(1))) << x.as_string();
        }
        todo.push_back(&x);
      }
    }
  }
  EXPECT_GT(refs, 50u);
}

TEST(OpenApi, LimitsAreTheValidatorsConstants) {
  EXPECT_EQ(spec("/components/schemas/Sku/pattern").as_string(), kSkuPattern);
  EXPECT_EQ(spec("/components/parameters/CollectionName/schema/pattern").as_string(),
            kCollectionNamePattern);
  EXPECT_EQ(spec_int("/components/parameters/CollectionName/schema/maxLength"),
            static_cast<std::int64_t>(kMaxCollectionNameBytes));
  EXPECT_EQ(spec_int("/components/schemas/OrderItemInput/properties/quantity/maximum"),
            kMaxItemQuantity);
  EXPECT_EQ(spec_int("/components/schemas/OrderInput/properties/items/maxItems"),
            static_cast<std::int64_t>(kMaxOrderItems));
  EXPECT_EQ(spec_int("/components/parameters/IdempotencyKey/schema/maxLength"),
            static_cast<std::int64_t>(kMaxIdempotencyKey));
  EXPECT_EQ(spec_int("/components/parameters/Limit/schema/maximum"), kMaxPageLimit);
  EXPECT_EQ(spec_int("/components/parameters/Limit/schema/default"), store::ProductQuery{}.limit);
  EXPECT_EQ(spec_int("/components/schemas/StockDelta/properties/delta/minimum"), -kMaxStockDelta);
  EXPECT_EQ(spec_int("/components/schemas/Price/properties/amount/maximum"), kMaxAmount);
}

// The same limits, by behaviour: the validator accepts the spec's bound and
// refuses one past it.
std::string order_body(std::int64_t quantity, std::size_t items, std::size_t customer_length) {
  std::string body = R"({"customer_id":")" + std::string(customer_length, 'c') + R"(","items":[)";
  for (std::size_t i = 0; i < items; ++i) {
    if (i > 0) body += ',';
    body +=
        R"({"sku":"sku-)" + std::to_string(i) + R"(","quantity":)" + std::to_string(quantity) + "}";
  }
  return body + "]}";
}

bool order_ok(const std::string& body) {
  return std::holds_alternative<OrderInput>(parse_order(body));
}

TEST(OpenApi, ValidatorsAcceptTheSpecBoundsAndRefuseBeyond) {
  const auto quantity = spec_int("/components/schemas/OrderItemInput/properties/quantity/maximum");
  const auto items = static_cast<std::size_t>(
      spec_int("/components/schemas/OrderInput/properties/items/maxItems"));
  const auto customer = static_cast<std::size_t>(
      spec_int("/components/schemas/OrderInput/properties/customer_id/maxLength"));
  EXPECT_TRUE(order_ok(order_body(quantity, items, customer)));
  EXPECT_FALSE(order_ok(order_body(quantity + 1, 1, 1)));
  EXPECT_FALSE(order_ok(order_body(1, items + 1, 1)));
  EXPECT_FALSE(order_ok(order_body(1, 1, customer + 1)));

  const auto key =
      static_cast<std::size_t>(spec_int("/components/parameters/IdempotencyKey/schema/maxLength"));
  EXPECT_FALSE(idempotency_key_errors(std::string(key, 'k')));
  EXPECT_TRUE(idempotency_key_errors(std::string(key + 1, 'k')));

  const auto name =
      static_cast<std::size_t>(spec_int("/components/parameters/CollectionName/schema/maxLength"));
  EXPECT_FALSE(collection_name_problem(std::string(name, 'x')));
  EXPECT_TRUE(collection_name_problem(std::string(name + 1, 'x')));

  const auto limit = spec_int("/components/parameters/Limit/schema/maximum");
  const auto category =
      static_cast<std::size_t>(spec_int("/components/parameters/Category/schema/maxLength"));
  const auto query = [](std::string q) {
    return std::holds_alternative<store::ProductQuery>(
        parse_product_query("/catalog/products?" + q));
  };
  EXPECT_TRUE(query("limit=" + std::to_string(limit) + "&category=" + std::string(category, 'c')));
  EXPECT_FALSE(query("limit=" + std::to_string(limit + 1)));
  EXPECT_FALSE(query("category=" + std::string(category + 1, 'c')));
}

}  // namespace
}  // namespace storefront::api
