#pragma once

#include <chrono>
#include <string>

#include "common/periodic.hpp"
#include "store/order_flow.hpp"

namespace storefront::obs {
class Registry;
class Counter;
class Gauge;
}  // namespace storefront::obs

namespace storefront::store {

struct SweepOptions {
  std::string owner;                             // this instance's id, in the lease
  std::chrono::milliseconds stuck{15000};        // STOREFRONT_ORDER_STUCK_SECONDS
  std::chrono::milliseconds interval{3000};      // between runs
  std::chrono::milliseconds step_timeout{5000};  // deadline of one order's steps
};

struct SweepReport {
  bool leader = false;  // held the lease, so it swept
  int stuck = 0;
  int completed = 0;
  int rolled_back = 0;
  int errors = 0;
};

// The recovery sweep: at start and every `interval`, the instance holding
// the "order-sweep" lease finishes or rolls back every order whose last step
// is older than `stuck` (a crashed or cut-off request). Each order is claimed
// first, so even two sweepers never work on one order at once.
class OrderSweep {
 public:
  static constexpr const char* kLease = "order-sweep";

  OrderSweep(OrderFlow& flow, OrderStore& orders, LeaseStore& leases, SweepOptions options,
             obs::Registry& registry);
  OrderSweep(const OrderSweep&) = delete;
  OrderSweep& operator=(const OrderSweep&) = delete;

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  // One run (the background thread's body; tests call it directly).
  SweepReport run_once();

 private:
  void tick();
  // Claims and settles one stuck order: +1 to completed or rolled_back.
  void settle(const Order& order, SweepReport& report);

  OrderFlow& flow_;
  OrderStore& orders_;
  LeaseStore& leases_;
  const SweepOptions options_;
  obs::Counter& runs_;
  obs::Counter& completed_;
  obs::Counter& rolled_back_;
  obs::Gauge& stuck_;
  bool orders_seen_ = false;  // the orders collection exists (sweep thread only)
  Periodic loop_;             // last: stopped before the rest goes
};

}  // namespace storefront::store
