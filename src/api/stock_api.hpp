#pragma once

#include <string>

#include "api/admin_auth.hpp"
#include "api/exchange.hpp"
#include "store/catalog.hpp"
#include "store/stock_store.hpp"

namespace storefront::api {

// GET /catalog/products/{sku}/stock (from the primary, never cached) and
// the admin's POST {"delta": n}: restock, or remove unsold units.
class StockApi {
 public:
  StockApi(Responder& responder, store::StockStore& stock, store::Catalog& catalog,
           const AdminAuth& auth)
      : responder_(responder), stock_(stock), catalog_(catalog), auth_(auth) {}

  void show(const ExchangePtr& ex, const std::string& sku);
  void adjust(const ExchangePtr& ex, const http::Request& request, const std::string& sku);

 private:
  // Runs `then` when the catalog has the product, else answers 404 (or the error).
  void with_product(const ExchangePtr& ex, const std::string& sku, std::function<void()> then);
  void answer_level(const ExchangePtr& ex, const std::string& sku,
                    const std::optional<store::StockLevel>& level);

  Responder& responder_;
  store::StockStore& stock_;
  store::Catalog& catalog_;
  const AdminAuth& auth_;
};

// {"sku", "available", "reserved", "sold"}
std::string stock_json(const store::StockLevel& level);
// 409 {"detail": "Insufficient stock for <sku>", "sku", "requested", "available"}
http::Response insufficient_response(const std::string& sku, std::int64_t requested,
                                     std::int64_t available);

}  // namespace storefront::api
