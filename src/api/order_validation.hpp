#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/validation_errors.hpp"
#include "store/order_store.hpp"

namespace storefront::api {

// The constraints; the OpenAPI document (api/openapi.cpp) is generated from them.
inline constexpr std::size_t kMaxOrderItems = 50;
inline constexpr std::int64_t kMaxItemQuantity = 100;
inline constexpr std::size_t kMaxCustomerId = 64;
inline constexpr std::size_t kMaxIdempotencyKey = 255;
inline constexpr std::string_view kIdempotencyKeyPattern = "^[ -~]+$";  // printable ASCII
inline constexpr std::string_view kOrderIdPattern = "^[0-9a-f]{24}$";
inline constexpr std::int64_t kMaxStockDelta = 1000000000;

struct OrderLine {
  std::string sku;
  std::int64_t quantity = 0;
};

// A validated POST /orders body.
struct OrderInput {
  std::string customer_id;
  std::vector<OrderLine> items;  // distinct SKUs, in the request's order
  // Identifies the request for Idempotency-Key: equal for equal bodies
  // whatever their formatting, the same on every instance.
  std::string hash;
};

std::variant<OrderInput, ValidationErrors> parse_order(std::string_view body);

// The Idempotency-Key header: absent is fine; present, 1..255 printable ASCII.
std::optional<ValidationErrors> idempotency_key_errors(std::string_view key);

// {"delta": int} of POST /catalog/products/{sku}/stock.
std::variant<std::int64_t, ValidationErrors> parse_stock_delta(std::string_view body);

// An order id in a path: 24 hex digits (new_order_id), anything else is no order.
bool valid_order_id(std::string_view id);

// The 422 for SKUs the catalog does not know, at their item positions.
ValidationErrors unknown_sku_errors(const std::vector<std::pair<std::size_t, std::string>>& skus);
// The 422 when priced items do not share one currency, or their total
// exceeds what a price may be (kMaxAmount); nullopt when they are fine.
std::optional<ValidationErrors> priced_items_errors(const std::vector<store::OrderItem>& items);

}  // namespace storefront::api
