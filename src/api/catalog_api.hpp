#pragma once

#include <chrono>
#include <string>

#include "api/admin_auth.hpp"
#include "api/exchange.hpp"
#include "store/catalog.hpp"

namespace storefront::api {

struct CatalogOptions {
  std::chrono::seconds max_age{30};  // CATALOG_MAX_AGE_SECONDS
  std::string admin_token;           // STOREFRONT_ADMIN_TOKEN; empty: admin API disabled
};

// False (and answered 401/403) unless the request carries the admin token.
bool require_admin(Responder& responder, const AdminAuth& auth, const ExchangePtr& ex,
                   const http::Request& request);

// /catalog/products[/{sku}] and /catalog/categories. Reads carry a strong
// ETag and Cache-Control and answer If-None-Match with 304; writes need the
// admin Bearer token.
class CatalogApi {
 public:
  CatalogApi(Responder& responder, store::Catalog& catalog, const CatalogOptions& options)
      : responder_(responder), catalog_(catalog), options_(options), auth_(options.admin_token) {}

  void list(const ExchangePtr& ex, const http::Request& request);
  void show(const ExchangePtr& ex, const http::Request& request, const std::string& sku);
  void categories(const ExchangePtr& ex, const http::Request& request);
  void put(const ExchangePtr& ex, const http::Request& request, const std::string& sku);
  void remove(const ExchangePtr& ex, const http::Request& request, const std::string& sku);

 private:
  // The read's done: 304/200 with the caching headers, or the mapped error;
  // an empty body is "Product {sku} not found".
  store::Done<store::Served> answer(const ExchangePtr& ex, const http::Request& request,
                                    std::string sku = {});
  // False (and answered 401/403) unless the request carries the admin token.
  bool authorized(const ExchangePtr& ex, const http::Request& request);

  Responder& responder_;
  store::Catalog& catalog_;
  const CatalogOptions options_;
  const AdminAuth auth_;
};

}  // namespace storefront::api
