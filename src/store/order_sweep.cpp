#include "store/order_sweep.hpp"

#include <spdlog/spdlog.h>

#include "obs/metrics.hpp"
#include "store/bson_fields.hpp"

namespace storefront::store {

OrderSweep::OrderSweep(OrderFlow& flow, OrderStore& orders, LeaseStore& leases,
                       SweepOptions options, obs::Registry& registry)
    : flow_(flow),
      orders_(orders),
      leases_(leases),
      options_(std::move(options)),
      runs_(registry
                .counter("storefront_order_sweep_runs_total",
                         "Recovery sweep runs made while holding the order-sweep lease.")
                .with({})),
      completed_(registry
                     .counter("storefront_order_sweep_actions_total",
                              "Stuck orders the recovery sweep finished or rolled back.",
                              {"action"})
                     .with({"completed"})),
      rolled_back_(registry.counter("storefront_order_sweep_actions_total", "", {"action"})
                       .with({"rolled_back"})),
      stuck_(registry
                 .gauge("storefront_order_sweep_stuck_orders",
                        "Stuck orders found by this instance's last sweep run (0 when another "
                        "instance holds the lease).")
                 .with({})),
      loop_(options_.interval, [this] { tick(); }) {}

void OrderSweep::tick() {
  const auto report = run_once();
  if (report.completed + report.rolled_back + report.errors > 0) {
    spdlog::info("order sweep: {} stuck, {} completed, {} rolled back, {} failed", report.stuck,
                 report.completed, report.rolled_back, report.errors);
  }
}

SweepReport OrderSweep::run_once() {
  SweepReport report;
  if (!orders_seen_) {
    // Until a first order exists there is nothing to recover, and no lease
    // document or collection is created.
    auto seen = orders_.exists(Deadline::after(options_.step_timeout));
    orders_seen_ = seen && *seen;
    if (!orders_seen_) {
      stuck_.set(0);
      return report;
    }
  }
  // The lease outlives a few runs, so a holder that dies is replaced soon.
  auto held = leases_.acquire(kLease, options_.owner, options_.interval * 3,
                              Deadline::after(options_.step_timeout));
  if (!held || !*held) {
    if (!held) spdlog::debug("order sweep: lease: {}", held.error().message);
    stuck_.set(0);
    return report;
  }
  report.leader = true;
  runs_.inc();
  const std::int64_t before = now_ms() - options_.stuck.count();
  auto stuck = orders_.stuck(before, 200, Deadline::after(options_.step_timeout));
  if (!stuck) {
    spdlog::warn("order sweep: listing stuck orders failed: {}", stuck.error().message);
    ++report.errors;
    return report;
  }
  report.stuck = static_cast<int>(stuck->size());
  stuck_.set(report.stuck);
  for (const auto& order : *stuck) settle(order, report);
  return report;
}

void OrderSweep::settle(const Order& order, SweepReport& report) {
  const auto deadline = Deadline::after(options_.step_timeout);
  auto claimed = orders_.claim(order.id, order.updated_at_ms, now_ms(), deadline);
  if (!claimed || !*claimed) return;  // moved on meanwhile, or another sweeper has it
  const bool pending = order.status == OrderStatus::kPending;
  // A pending order's client never got its 201: rolling it back is always
  // safe, while finishing it would need every reservation to be in place.
  const auto status = pending ? flow_.roll_back(order, deadline) : flow_.finish(order, deadline);
  if (!status) {
    spdlog::warn("order sweep: order {}: {}", order.id, status.error().message);
    ++report.errors;
    return;
  }
  spdlog::info("order sweep: order {} ({}, {}) {}", order.id, to_string(order.status),
               to_string(order.phase), pending ? "rolled back" : "completed");
  if (pending) {
    ++report.rolled_back;
    rolled_back_.inc();
  } else {
    ++report.completed;
    completed_.inc();
  }
}

}  // namespace storefront::store
