#include "app/orders_app.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "app/application.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "store/stock_audit.hpp"

namespace storefront::app {
namespace {

store::SweepOptions sweep_options(const Config& config, const std::string& instance_id) {
  store::SweepOptions o;
  o.owner = instance_id;
  o.stuck = order_stuck_after(config);
  // A few runs per stuck period, at most one a second.
  o.interval = std::max(std::chrono::milliseconds(1000), o.stuck / 5);
  o.step_timeout = config.request_timeout;
  return o;
}

}  // namespace

std::chrono::milliseconds order_stuck_after(const Config& config) {
  const std::chrono::milliseconds configured(config.order_stuck_s * 1000);
  const auto floor = config.request_timeout + config.mongo_socket_timeout;
  return std::max(configured, floor);
}

OrderServices::OrderServices(const Config& config, store::MongoPool& pool, obs::Registry& registry,
                             const std::string& instance_id)
    : stock_(pool),
      orders_(pool),
      leases_(pool),
      flow_(stock_, orders_, registry),
      sweep_(flow_, orders_, leases_, sweep_options(config, instance_id), registry),
      deps_{stock_, flow_, registry} {
  const auto stuck = order_stuck_after(config);
  if (stuck.count() != config.order_stuck_s * 1000) {
    spdlog::warn(
        "order sweep: STOREFRONT_ORDER_STUCK_SECONDS raised to {} ms (request deadline "
        "plus MongoDB socket timeout)",
        stuck.count());
  }
}

int fill_stock(store::MongoPool& pool,
               const std::vector<std::pair<std::string, store::ProductInput>>& products,
               std::int64_t units) {
  store::MongoStockStore stock(pool);
  std::int64_t created = 0;
  for (const auto& [sku, product] : products) {
    auto made = stock.create_if_missing(sku, units, Deadline::after(std::chrono::seconds(30)));
    if (!made) {
      spdlog::error("fill stock failed at {}: {}", sku, made.error().message);
      return 1;
    }
    created += *made ? 1 : 0;
  }
  spdlog::info("fill stock: {} documents created with {} units, {} already present", created, units,
               static_cast<std::int64_t>(products.size()) - created);
  return 0;
}

int audit(const Config& config) {
  CommandMongo mongo(config);
  store::MongoStockStore stock(mongo.pool());
  store::MongoOrderStore orders(mongo.pool());
  auto report = store::audit_stock(stock, orders, order_stuck_after(config).count(),
                                   Deadline::after(std::chrono::minutes(5)));
  if (!report) {
    std::fprintf(stderr, "audit: cannot run: %s\n", report.error().message.c_str());
    return 2;
  }
  for (const auto& line : report->violations) std::printf("violation: %s\n", line.c_str());
  std::printf("audit: skus %lld, orders %lld, violations %zu\n",
              static_cast<long long>(report->skus), static_cast<long long>(report->orders),
              report->violations.size());
  std::fflush(stdout);
  return report->violations.empty() ? 0 : 1;
}

}  // namespace storefront::app
