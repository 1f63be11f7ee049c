#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/catalog_api.hpp"
#include "api/collection_policy.hpp"
#include "api/exchange.hpp"
#include "api/orders_api.hpp"
#include "api/root_cache.hpp"
#include "api/static_files.hpp"
#include "api/stock_api.hpp"
#include "api/users_api.hpp"
#include "cache/cache_status.hpp"
#include "http/server.hpp"
#include "store/catalog.hpp"
#include "store/deployment_store.hpp"
#include "store/health_probe.hpp"
#include "store/users.hpp"

namespace storefront::api {

struct ApiOptions {
  std::string database = "somedb";
  std::chrono::milliseconds request_timeout{5000};
  int retry_after_s = 1;
  std::string instance_id;
  std::string version;
  CatalogOptions catalog;
  // Issue 14: which collections the users API may use, the token its writes
  // need (empty: open), how long GET / is served from memory (0: never).
  CollectionPolicy collections;
  std::string write_token;
  std::chrono::milliseconds root_cache_ttl{0};
};

// Stock and orders (null in ApiDeps: their routes answer 404).
struct OrdersDeps {
  store::StockStore& stock;
  store::OrderFlow& flow;
  obs::Registry& registry;
};

// What the API is built on: the resource stores (maybe cached), the
// deployment, and the states readiness reports.
struct ApiDeps {
  store::Users& users;
  store::Catalog& catalog;
  store::DeploymentStore& deployment;
  Offloader& offloader;
  obs::HttpMetrics& metrics;
  std::function<std::string()> render_metrics;
  StaticFiles docs_assets;
  const cache::CacheStatusSource* cache = nullptr;          // null: REDIS_URL unset
  const store::HealthProbe* health = nullptr;               // null: mongo reported "unknown"
  std::function<bool()> overloaded = [] { return false; };  // e.g. at the connection cap
  const OrdersDeps* orders = nullptr;
};

// The HTTP entry point: routes a request to its resource (users, catalog)
// or answers the service endpoints (/, health, metrics, docs). Never touches
// sockets: a request and a Reply in, a Response out.
class Api final : public http::Handler {
 public:
  Api(ApiOptions options, ApiDeps deps);

  void handle(http::Request&& request, const http::ConnectionInfo& info,
              http::Reply reply) override;

  // Readiness answers 503 from now on (first step of a graceful shutdown).
  void set_draining() { draining_.store(true); }

 private:
  std::optional<http::Response> refusal(const ExchangePtr& ex, const RouteMatch& match) const;
  void dispatch(const ExchangePtr& ex, http::Request& request, const RouteMatch& match);
  void root(const ExchangePtr& ex);
  void ready(const ExchangePtr& ex);
  void orders(const ExchangePtr& ex, http::Request& request, const RouteMatch& match);

  ApiOptions options_;
  ApiDeps deps_;
  Responder responder_;
  UsersApi users_;
  CatalogApi catalog_;
  RootCache root_cache_;
  const AdminAuth admin_;
  std::optional<StockApi> stock_;
  std::optional<OrdersApi> orders_;
  std::atomic<bool> draining_{false};
};

}  // namespace storefront::api
