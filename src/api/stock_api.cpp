#include "api/stock_api.hpp"

#include <fmt/format.h>

#include "api/catalog_api.hpp"
#include "api/order_validation.hpp"
#include "api/product_validation.hpp"
#include "common/json_writer.hpp"

namespace storefront::api {

std::string stock_json(const store::StockLevel& level) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("sku");
  w.string(level.sku);
  w.key("available");
  w.number(level.available);
  w.key("reserved");
  w.number(level.reserved);
  w.key("sold");
  w.number(level.sold);
  w.end_object();
  return out;
}

http::Response insufficient_response(const std::string& sku, std::int64_t requested,
                                     std::int64_t available) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("detail");
  w.string(fmt::format("Insufficient stock for {}", sku));
  w.key("sku");
  w.string(sku);
  w.key("requested");
  w.number(requested);
  w.key("available");
  w.number(available);
  w.end_object();
  return make_response(409, std::move(out));
}

void StockApi::with_product(const ExchangePtr& ex, const std::string& sku,
                            std::function<void()> then) {
  catalog_.product(ex->call(), sku,
                   [this, ex, sku, then = std::move(then)](Result<store::Served> served) {
                     if (!served) return responder_.fail(ex, served.error());
                     if (served->json->empty()) {
                       return responder_.finish(
                           ex, error_response(404, fmt::format("Product {} not found", sku)));
                     }
                     then();
                   });
}

void StockApi::answer_level(const ExchangePtr& ex, const std::string& sku,
                            const std::optional<store::StockLevel>& level) {
  // A product nobody stocked yet has nothing available.
  store::StockLevel shown;
  shown.sku = sku;
  if (level) shown = *level;
  responder_.finish(ex, make_response(200, stock_json(shown)));
}

void StockApi::show(const ExchangePtr& ex, const std::string& sku) {
  if (!valid_sku(sku))
    return responder_.finish(ex, validation_response(sku_errors(sku).detail_json));
  responder_.offload(ex, [this, sku](const ExchangePtr& ex) {
    auto level = stock_.level(sku, ex->deadline);
    if (!level) return responder_.fail(ex, level.error());
    if (*level) return answer_level(ex, sku, *level);
    with_product(ex, sku, [this, ex, sku] { answer_level(ex, sku, std::nullopt); });
  });
}

void StockApi::adjust(const ExchangePtr& ex, const http::Request& request, const std::string& sku) {
  if (!require_admin(responder_, auth_, ex, request)) return;
  if (!valid_sku(sku))
    return responder_.finish(ex, validation_response(sku_errors(sku).detail_json));
  auto parsed = parse_stock_delta(request.body());
  if (auto* invalid = std::get_if<ValidationErrors>(&parsed)) {
    return responder_.finish(ex, validation_response(invalid->detail_json));
  }
  const std::int64_t delta = std::get<std::int64_t>(parsed);
  // Stock only for products the catalog has: an unknown SKU is a 404.
  with_product(ex, sku, [this, ex, sku, delta] {
    responder_.offload(ex, [this, sku, delta](const ExchangePtr& ex) {
      auto after = stock_.adjust(sku, delta, ex->deadline);
      if (!after) return responder_.fail(ex, after.error());
      if (*after || delta >= 0) return answer_level(ex, sku, *after);
      // Too few available: the conditional update refused; this read only
      // reports what there is.
      auto seen = stock_.level(sku, ex->deadline);
      if (!seen) return responder_.fail(ex, seen.error());
      responder_.finish(ex,
                        insufficient_response(sku, -delta, *seen ? seen.value()->available : 0));
    });
  });
}

}  // namespace storefront::api
