// POST /orders bodies, Idempotency-Key values and POST .../stock bodies: never
// crash; an order keeps the documented limits (1..50 distinct SKUs that match
// the pattern, quantities 1..100) with a stable hash, or comes back as a JSON
// list of errors.
#include <boost/json.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "api/order_validation.hpp"
#include "api/product_validation.hpp"
#include "fuzz_checks.hpp"

namespace {

void check_order(const storefront::api::OrderInput& o, std::string_view input) {
  namespace api = storefront::api;
  if (o.items.empty() || o.items.size() > api::kMaxOrderItems || o.customer_id.empty() ||
      o.hash.size() != 16) {
    __builtin_trap();
  }
  std::set<std::string> skus;
  for (const auto& line : o.items) {
    if (!api::valid_sku(line.sku) || line.quantity < 1 || line.quantity > api::kMaxItemQuantity ||
        !skus.insert(line.sku).second) {
      __builtin_trap();
    }
  }
  // The same body parsed again hashes the same (idempotency keys rely on it).
  auto again = api::parse_order(input);
  if (std::get<api::OrderInput>(again).hash != o.hash) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace api = storefront::api;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto order = api::parse_order(input);
  if (auto* errors = std::get_if<api::ValidationErrors>(&order)) {
    check_errors(errors->detail_json);
  } else {
    check_order(std::get<api::OrderInput>(order), input);
  }
  if (auto key = api::idempotency_key_errors(input)) check_errors(key->detail_json);
  auto delta = api::parse_stock_delta(input);
  if (auto* errors = std::get_if<api::ValidationErrors>(&delta)) {
    check_errors(errors->detail_json);
  } else if (auto d = std::get<std::int64_t>(delta);
             d < -api::kMaxStockDelta || d > api::kMaxStockDelta) {
    __builtin_trap();
  }
  return 0;
}
