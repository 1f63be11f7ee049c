#pragma once

#include <string>

#include "api/exchange.hpp"
#include "api/order_validation.hpp"
#include "store/catalog.hpp"
#include "store/order_flow.hpp"

namespace storefront::obs {
class Registry;
}

namespace storefront::api {

// POST /orders (Idempotency-Key), GET /orders/{id}, POST /orders/{id}/cancel.
// Prices come from the catalog (maybe its cache) at order time; the order's
// steps run on a worker (store::OrderFlow).
class OrdersApi {
 public:
  OrdersApi(Responder& responder, store::OrderFlow& flow, store::Catalog& catalog,
            obs::Registry& registry, int retry_after_s);

  void create(const ExchangePtr& ex, const http::Request& request);
  void show(const ExchangePtr& ex, const std::string& id);
  void cancel(const ExchangePtr& ex, const std::string& id);

 private:
  struct Metrics;
  struct Pricing;
  // Looks every SKU up in the catalog, then places the priced order.
  void price_and_place(const ExchangePtr& ex, OrderInput input, std::optional<std::string> key);
  // The next item's lookup, or priced_all() after the last.
  void look_up(const ExchangePtr& ex, const std::shared_ptr<Pricing>& pricing);
  void priced_all(const ExchangePtr& ex, const Pricing& pricing);
  void place(const ExchangePtr& ex, store::PlaceRequest request);
  void answer_placed(const ExchangePtr& ex, const store::Placed& placed);
  // finish() for POST /orders, counted by result.
  void finish_order(const ExchangePtr& ex, http::Response&& res, const char* result);
  void fail_order(const ExchangePtr& ex, const Error& error);
  // 404 at once for an id no order can have, else `job` on a worker.
  void for_order(const ExchangePtr& ex, const std::string& id, Responder::Job job);

  Responder& responder_;
  store::OrderFlow& flow_;
  store::Catalog& catalog_;
  std::shared_ptr<Metrics> metrics_;
  const int retry_after_s_;
};

// The order as the API shows it; `status` overrides the stored one (a
// replay answers what the first response said).
std::string order_json(const store::Order& order, const char* status = nullptr);
// 404 {"detail": "Order {id} not found"}
http::Response order_not_found(const std::string& id);
// Milliseconds since the epoch as ISO 8601 UTC with milliseconds.
std::string iso8601_ms(std::int64_t ms);

}  // namespace storefront::api
