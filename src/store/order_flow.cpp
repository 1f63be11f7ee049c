#include "store/order_flow.hpp"

#include <bson/bson.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "obs/metrics.hpp"
#include "store/bson_fields.hpp"

namespace storefront::store {
namespace {

using S = OrderStatus;
using P = OrderPhase;

// The steps that could apply twice (reserve, give back, and the confirm
// that decides them) never start after the deadline: past it plus one
// socket timeout the sweep may take the order (docs/orders.md).
std::optional<Error> past(Deadline deadline, const Order& order) {
  if (!deadline.expired()) return std::nullopt;
  return Error{ErrorKind::kTimeout, "order " + order.id + ": request deadline passed mid-order"};
}

Error changed_under_us(const Order& order) {
  return Error{ErrorKind::kInternal, "order " + order.id + " changed during its own steps"};
}

}  // namespace

std::string give_back_marker(const std::string& order_id) {
  return "c:" + order_id;
}

std::string new_order_id() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  char hex[25];
  bson_oid_to_string(&oid, hex);
  return hex;
}

OrderFlow::OrderFlow(StockStore& stock, OrderStore& orders, obs::Registry& registry)
    : stock_(stock),
      orders_(orders),
      reservation_duration_(
          registry
              .histogram("storefront_stock_reservation_duration_seconds",
                         "Time of one conditional stock reservation (one findAndModify).")
              .with({})),
      conflicts_(registry
                     .counter("storefront_stock_conflicts_total",
                              "Conditional stock reservations that matched nothing: short stock.")
                     .with({})) {}

Result<bool> OrderFlow::move(const Order& order, OrderStatus from_status, OrderPhase from_phase,
                             OrderStatus to_status, OrderPhase to_phase, Deadline deadline) {
  return orders_.transition(order.id, Transition{from_status, from_phase, to_status, to_phase, {}},
                            deadline);
}

Placed OrderFlow::answer_existing(const Order& existing, const PlaceRequest& request) const {
  if (existing.request_hash != request.request_hash) return {Placed::Result::kKeyReused, existing};
  if (existing.status == S::kPending) return {Placed::Result::kInProgress, existing};
  return {Placed::Result::kReplayed, existing};
}

Result<std::optional<Order>> OrderFlow::record(Order& order, Deadline deadline) {
  // The unique index must exist before the first keyed order goes in; made
  // here rather than at start so a database without orders gets no
  // collection (and MongoDB may be down at start).
  if (order.idempotency_key && !indexed_.load(std::memory_order_acquire)) {
    if (auto st = orders_.ensure_indexes(deadline); !st) return st.error();
    indexed_.store(true, std::memory_order_release);
  }
  // A key's holder may release it (a failed attempt) between our insert and
  // our read: then the insert is tried again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto inserted = orders_.insert(order, deadline);
    if (!inserted) return inserted.error();
    if (*inserted) return std::optional<Order>();
    auto existing = orders_.find_by_key(*order.idempotency_key, deadline);
    if (!existing) return existing.error();
    if (*existing) return existing;
  }
  return Error{ErrorKind::kUnavailable, "idempotency key changed hands three times"};
}

Result<Placed> OrderFlow::place(const PlaceRequest& request, Deadline deadline) {
  Order order;
  order.id = new_order_id();
  order.idempotency_key = request.idempotency_key;
  order.request_hash = request.request_hash;
  order.customer_id = request.customer_id;
  order.items = request.items;
  for (const auto& item : order.items) order.total_amount += item.unit_amount * item.quantity;
  order.currency = order.items.empty() ? "" : order.items.front().currency;
  order.created_at_ms = order.updated_at_ms = now_ms();
  auto existing = record(order, deadline);
  if (!existing) return existing.error();
  if (*existing) return answer_existing(**existing, request);
  return reserve_all(order, deadline);
}

Result<Placed> OrderFlow::reserve_all(Order& order, Deadline deadline) {
  for (const auto& item : order.items) {
    const auto started = Clock::now();
    auto late = past(deadline, order);
    auto take =
        late ? Result<Take>(*late) : stock_.reserve(item.sku, order.id, item.quantity, deadline);
    reservation_duration_.observe(std::chrono::duration<double>(Clock::now() - started).count());
    if (!take) {
      try_roll_back(order);
      return take.error();
    }
    if (take->held) continue;
    conflicts_.inc();
    if (auto st = release_all(order, deadline); !st) return st.error();
    Transition refused{S::kPending, P::kReserving, S::kFailed, P::kDone,
                       Rejection{item.sku, item.quantity, take->available}};
    auto moved = orders_.transition(order.id, refused, deadline);
    if (!moved) return moved.error();
    if (!*moved) return changed_under_us(order);
    order.status = S::kFailed;
    order.rejection = refused.rejection;
    return Placed{Placed::Result::kInsufficient, order};
  }
  // The commit point: from here on the order is confirmed whatever fails.
  if (auto late = past(deadline, order)) {
    try_roll_back(order);
    return *late;
  }
  auto confirmed = move(order, S::kPending, P::kReserving, S::kConfirmed, P::kCommitting, deadline);
  if (!confirmed) return confirmed.error();
  if (!*confirmed) return changed_under_us(order);
  order.status = S::kConfirmed;
  order.phase = P::kCommitting;
  if (auto st = finish(order, deadline); !st) {
    spdlog::warn("order {}: settling left to the sweep: {}", order.id, st.error().message);
  }
  return Placed{Placed::Result::kCreated, order};
}

void OrderFlow::try_roll_back(const Order& order) {
  // Best effort, on a budget of its own (the request's may be spent): a
  // release is safe at any time, and whatever is left the sweep rolls back.
  if (auto st = roll_back(order, Deadline::after(std::chrono::seconds(1))); !st) {
    spdlog::warn("order {}: rollback left to the sweep: {}", order.id, st.error().message);
  }
}

Status OrderFlow::release_all(const Order& order, Deadline deadline) {
  // Every item, even past a failure: what can be returned now is.
  Status first = ok_status();
  for (const auto& item : order.items) {
    auto r = stock_.release(item.sku, order.id, item.quantity, deadline);
    if (!r && first) first = r.error();
  }
  return first;
}

Status OrderFlow::commit_all(const Order& order, Deadline deadline) {
  for (const auto& item : order.items) {
    if (auto r = stock_.commit(item.sku, order.id, item.quantity, deadline); !r) return r.error();
  }
  return ok_status();
}

Status OrderFlow::give_back_all(const Order& order, Deadline deadline) {
  const std::string marker = give_back_marker(order.id);
  for (const auto& item : order.items) {
    if (auto late = past(deadline, order)) return *late;
    if (auto r = stock_.give_back(item.sku, marker, item.quantity, deadline); !r) return r.error();
  }
  return ok_status();
}

Status OrderFlow::unmark_all(const Order& order, Deadline deadline) {
  const std::string marker = give_back_marker(order.id);
  for (const auto& item : order.items) {
    if (auto st = stock_.unmark(item.sku, marker, deadline); !st) return st.error();
  }
  return ok_status();
}

Status OrderFlow::roll_back(const Order& order, Deadline deadline) {
  // Releasing every item is safe: a release without the marker is a no-op.
  if (auto st = release_all(order, deadline); !st) return st;
  Transition failed{S::kPending, P::kReserving, S::kFailed, P::kDone, {}, true};
  auto moved = orders_.transition(order.id, failed, deadline);
  if (!moved) return moved.error();
  return ok_status();
}

Status OrderFlow::finish(const Order& order, Deadline deadline) {
  // Each phase's steps, then the move to the next phase; a phase is only
  // left once all its steps are done, so a repeat never redoes a finished one.
  OrderPhase phase = order.phase;
  if (order.status == S::kConfirmed && phase == P::kCommitting) {
    if (auto st = commit_all(order, deadline); !st) return st;
    auto moved = move(order, S::kConfirmed, P::kCommitting, S::kConfirmed, P::kDone, deadline);
    if (!moved) return moved.error();
    return ok_status();
  }
  if (order.status != S::kCancelled) return ok_status();
  if (phase == P::kReturning) {
    if (auto st = give_back_all(order, deadline); !st) return st;
    auto moved = move(order, S::kCancelled, P::kReturning, S::kCancelled, P::kUnmarking, deadline);
    if (!moved) return moved.error();
    if (!*moved) return ok_status();  // someone else moved it on
    phase = P::kUnmarking;
  }
  if (phase == P::kUnmarking) {
    if (auto st = unmark_all(order, deadline); !st) return st;
    auto moved = move(order, S::kCancelled, P::kUnmarking, S::kCancelled, P::kDone, deadline);
    if (!moved) return moved.error();
  }
  return ok_status();
}

Result<std::optional<Order>> OrderFlow::find(const std::string& id, Deadline deadline) {
  return orders_.find(id, deadline);
}

Result<Cancelled> OrderFlow::cancel(const std::string& id, Deadline deadline) {
  auto found = orders_.find(id, deadline);
  if (!found) return found.error();
  if (!*found) return Cancelled{Cancelled::Result::kNotFound, {}};
  Order order = std::move(**found);
  // Already cancelled: the same answer, and no step runs again (a second
  // executor of the give-back steps could return units twice).
  if (order.status == S::kCancelled) return Cancelled{Cancelled::Result::kCancelled, order};
  if (order.status != S::kConfirmed) return Cancelled{Cancelled::Result::kNotCancellable, order};
  if (order.phase == P::kCommitting) {
    if (auto st = finish(order, deadline); !st) return st.error();
  }
  auto moved = move(order, S::kConfirmed, P::kDone, S::kCancelled, P::kReturning, deadline);
  if (!moved) return moved.error();
  if (!*moved) {
    // A concurrent cancel won: answer with what it made of the order.
    auto again = orders_.find(id, deadline);
    if (!again) return again.error();
    if (!*again || again.value()->status != S::kCancelled) return changed_under_us(order);
    return Cancelled{Cancelled::Result::kCancelled, **again};
  }
  order.status = S::kCancelled;
  order.phase = P::kReturning;
  if (auto st = finish(order, deadline); !st) {
    spdlog::warn("order {}: give-back left to the sweep: {}", order.id, st.error().message);
  }
  return Cancelled{Cancelled::Result::kCancelled, order, true};
}

}  // namespace storefront::store
