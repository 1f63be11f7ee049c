#include "api/order_validation.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

#include "api/field_checks.hpp"
#include "api/product_validation.hpp"

namespace storefront::api {
namespace json = boost::json;
namespace {

// FNV-1a, 64 bits: stable across processes and builds, unlike std::hash.
std::string request_hash(const OrderInput& input) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;  // field separator
  };
  mix(input.customer_id);
  for (const auto& line : input.items) {
    mix(line.sku);
    mix(std::to_string(line.quantity));
  }
  return fmt::format("{:016x}", h);
}

void parse_line(Fields& f, OrderLine& out) {
  if (const auto* v = f.required("sku")) {
    if (auto s = f.string("sku", *v, 1, 64, kSkuPattern, valid_sku)) out.sku = *s;
  }
  if (const auto* v = f.required("quantity")) {
    if (auto n = f.integer("quantity", *v, 1, kMaxItemQuantity)) out.quantity = *n;
  }
}

void parse_items(Fields& f, const json::value& v, OrderInput& out) {
  const auto* items = f.list("items", v, 1, kMaxOrderItems);
  if (!items) return;
  std::set<std::string> seen;
  f.each_object("items", *items, [&](std::size_t, Fields& item) {
    OrderLine line;
    parse_line(item, line);
    if (!line.sku.empty() && !seen.insert(line.sku).second) {
      f.errors().add("value_error", item.loc("sku"),
                     fmt::format("Value error, duplicate SKU {} (one item per SKU)", line.sku),
                     json::value(line.sku), {{"error", "duplicate SKU"}});
    }
    out.items.push_back(std::move(line));
  });
}

}  // namespace

std::variant<OrderInput, ValidationErrors> parse_order(std::string_view body) {
  auto parsed = parse_body_object<OrderInput>(body, [](Fields& f, OrderInput& out) {
    if (const auto* v = f.required("customer_id")) {
      if (auto s = f.string("customer_id", *v, 1, kMaxCustomerId)) out.customer_id = *s;
    }
    if (const auto* v = f.required("items")) parse_items(f, *v, out);
  });
  if (auto* input = std::get_if<OrderInput>(&parsed)) input->hash = request_hash(*input);
  return parsed;
}

std::optional<ValidationErrors> idempotency_key_errors(std::string_view key) {
  ErrorList errors;
  const json::array loc{"header", "idempotency-key"};
  if (key.empty()) {
    errors.add("string_too_short", loc, "String should have at least 1 character", json::value(key),
               {{"min_length", 1}});
  } else if (key.size() > kMaxIdempotencyKey) {
    errors.add("string_too_long", loc,
               fmt::format("String should have at most {} characters", kMaxIdempotencyKey),
               json::value(""), {{"max_length", kMaxIdempotencyKey}});
  } else {
    for (char c : key) {
      if (c < 0x20 || c > 0x7e) {
        errors.add("string_pattern_mismatch", loc,
                   fmt::format("String should match pattern '{}'", kIdempotencyKeyPattern), nullptr,
                   {{"pattern", kIdempotencyKeyPattern}});
        break;
      }
    }
  }
  if (errors.empty()) return std::nullopt;
  return errors.done();
}

std::variant<std::int64_t, ValidationErrors> parse_stock_delta(std::string_view body) {
  return parse_body_object<std::int64_t>(body, [](Fields& f, std::int64_t& delta) {
    if (const auto* v = f.required("delta")) {
      if (auto n = f.integer("delta", *v, -kMaxStockDelta, kMaxStockDelta)) delta = *n;
    }
  });
}

bool valid_order_id(std::string_view id) {
  if (id.size() != 24) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

ValidationErrors unknown_sku_errors(const std::vector<std::pair<std::size_t, std::string>>& skus) {
  ErrorList errors;
  for (const auto& [index, sku] : skus) {
    errors.add("value_error", json::array{"body", "items", index, "sku"},
               fmt::format("Value error, unknown SKU {}", sku), json::value(sku),
               {{"error", "unknown SKU"}});
  }
  return errors.done();
}

std::optional<ValidationErrors> priced_items_errors(const std::vector<store::OrderItem>& items) {
  ErrorList errors;
  std::int64_t total = 0;
  for (const auto& item : items) {
    if (item.currency != items.front().currency) {
      errors.add("value_error", json::array{"body", "items"},
                 "Value error, the items are priced in different currencies; order them separately",
                 nullptr, {{"error", "mixed currencies"}});
      return errors.done();
    }
    std::int64_t line = 0;
    if (__builtin_mul_overflow(item.unit_amount, item.quantity, &line) ||
        __builtin_add_overflow(total, line, &total) || total > kMaxAmount) {
      errors.add("value_error", json::array{"body", "items"},
                 "Value error, the order's total is too large", nullptr,
                 {{"error", "total too large"}});
      return errors.done();
    }
  }
  return std::nullopt;
}

}  // namespace storefront::api
