#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/handlers.hpp"
#include "app/config.hpp"
#include "store/mongo_order_store.hpp"
#include "store/mongo_stock_store.hpp"
#include "store/order_flow.hpp"
#include "store/order_sweep.hpp"
#include "store/product_store.hpp"

namespace storefront::app {

// How long an order may sit between steps before the sweep takes it: never
// less than a request can still be working on it (its deadline plus one
// MongoDB socket timeout), so a live request and the sweep never both run
// an order's steps.
std::chrono::milliseconds order_stuck_after(const Config& config);

// Stock and orders of one serving process: the stores, the two-phase flow,
// and the recovery sweep (started by start()).
class OrderServices {
 public:
  OrderServices(const Config& config, store::MongoPool& pool, obs::Registry& registry,
                const std::string& instance_id);
  void start() { sweep_.start(); }
  void stop() { sweep_.stop(); }
  const api::OrdersDeps& deps() const { return deps_; }

 private:
  store::MongoStockStore stock_;
  store::MongoOrderStore orders_;
  store::MongoLeaseStore leases_;
  store::OrderFlow flow_;
  store::OrderSweep sweep_;
  api::OrdersDeps deps_;
};

// `fill --stock U`: a stock document with U available for each product
// that has none. Returns the process exit code.
int fill_stock(store::MongoPool& pool,
               const std::vector<std::pair<std::string, store::ProductInput>>& products,
               std::int64_t units);

// `storefront audit`: exit 0 clean, 1 on a violation, 2 when it cannot run.
int audit(const Config& config);

}  // namespace storefront::app
