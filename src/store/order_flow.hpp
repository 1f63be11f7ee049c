#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "store/order_store.hpp"
#include "store/stock_store.hpp"

namespace storefront::obs {
class Registry;
class Histogram;
class Counter;
}  // namespace storefront::obs

namespace storefront::store {

// POST /orders after validation and pricing.
struct PlaceRequest {
  std::optional<std::string> idempotency_key;
  std::string request_hash;  // of the validated body: same key + other body is refused
  std::string customer_id;
  std::vector<OrderItem> items;  // priced, distinct SKUs
};

struct Placed {
  enum class Result { kCreated, kInsufficient, kReplayed, kInProgress, kKeyReused };
  Result result;
  Order order;  // kInsufficient and replays of a refusal: order.rejection says why
};

struct Cancelled {
  enum class Result { kCancelled, kNotFound, kNotCancellable };
  Result result;
  Order order;
  bool by_this_call = false;  // false for a repeated cancel
};

// The two-phase steps of an order over the stock and orders collections,
// without transactions (docs/orders.md): the order is recorded (pending)
// before any stock moves; each stock step is one conditional update
// carrying the order's marker, so a repeated step is a no-op; the order's
// (status, phase) says which steps remain, for the recovery sweep.
// Blocking: worker threads only. One executor per order at a time: a
// request stops at its deadline and the sweep only takes orders whose last
// step is older than that (OrderSweep).
class OrderFlow {
 public:
  OrderFlow(StockStore& stock, OrderStore& orders, obs::Registry& registry);

  Result<Placed> place(const PlaceRequest& request, Deadline deadline);
  Result<std::optional<Order>> find(const std::string& id, Deadline deadline);
  Result<Cancelled> cancel(const std::string& id, Deadline deadline);

  // The sweep's two actions on an order stuck between steps: a pending one
  // is rolled back (every reservation released, failed, key released), any
  // later phase is finished.
  Status roll_back(const Order& order, Deadline deadline);
  Status finish(const Order& order, Deadline deadline);

 private:
  // An existing order holding the request's key: replay, in progress or reused.
  Placed answer_existing(const Order& existing, const PlaceRequest& request) const;
  // Inserts the pending order; an Order holding its key instead when there is one.
  Result<std::optional<Order>> record(Order& order, Deadline deadline);
  Result<Placed> reserve_all(Order& order, Deadline deadline);
  void try_roll_back(const Order& order);
  Status release_all(const Order& order, Deadline deadline);
  Status commit_all(const Order& order, Deadline deadline);
  Status give_back_all(const Order& order, Deadline deadline);
  Status unmark_all(const Order& order, Deadline deadline);
  Result<bool> move(const Order& order, OrderStatus from_status, OrderPhase from_phase,
                    OrderStatus to_status, OrderPhase to_phase, Deadline deadline);

  StockStore& stock_;
  OrderStore& orders_;
  std::atomic<bool> indexed_{false};  // the idempotency key index is known to exist
  obs::Histogram& reservation_duration_;
  obs::Counter& conflicts_;
};

// The marker a cancellation leaves in the stock documents it gives back to.
std::string give_back_marker(const std::string& order_id);
// A new order id: 24 hex digits (an ObjectId), unique across instances.
std::string new_order_id();

}  // namespace storefront::store
