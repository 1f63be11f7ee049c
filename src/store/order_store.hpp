#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::store {

struct OrderItem {
  std::string sku;
  std::int64_t quantity = 0;
  std::int64_t unit_amount = 0;  // minor units, from the catalog at order time
  std::string currency;
};

// What a client sees of an order.
enum class OrderStatus { kPending, kConfirmed, kCancelled, kFailed };
// Where its stock steps are (docs/orders.md): kReserving while pending,
// kCommitting once confirmed until every reservation became sold,
// kReturning/kUnmarking while a cancellation gives units back, kDone.
enum class OrderPhase { kReserving, kCommitting, kReturning, kUnmarking, kDone };

const char* to_string(OrderStatus status);
const char* to_string(OrderPhase phase);

// Why an order was refused for stock (its first answer, replayed by key).
struct Rejection {
  std::string sku;
  std::int64_t requested = 0;
  std::int64_t available = 0;
};

struct Order {
  std::string id;
  std::optional<std::string> idempotency_key;
  std::string request_hash;
  std::string customer_id;
  std::vector<OrderItem> items;
  std::int64_t total_amount = 0;
  std::string currency;
  OrderStatus status = OrderStatus::kPending;
  OrderPhase phase = OrderPhase::kReserving;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<Rejection> rejection;
};

// A conditional move of an order from one (status, phase) to another.
struct Transition {
  OrderStatus from_status;
  OrderPhase from_phase;
  OrderStatus to_status;
  OrderPhase to_phase;
  std::optional<Rejection> rejection;
  bool release_key = false;  // a failed attempt frees its Idempotency-Key for a retry
};

// The `orders` collection. Blocking: worker threads only.
class OrderStore {
 public:
  virtual ~OrderStore() = default;
  // The unique sparse index on idempotency_key (idempotent).
  virtual Status ensure_indexes(Deadline deadline) = 0;
  // Whether the collection exists: the sweep leaves a database that never
  // had an order alone (creates no lease, no collection).
  virtual Result<bool> exists(Deadline deadline) = 0;
  // False when another order holds its idempotency key.
  virtual Result<bool> insert(const Order& order, Deadline deadline) = 0;
  virtual Result<std::optional<Order>> find(std::string_view id, Deadline deadline) = 0;
  virtual Result<std::optional<Order>> find_by_key(std::string_view key, Deadline deadline) = 0;
  // Applies `t` if the order is still in (from_status, from_phase); whether it was.
  virtual Result<bool> transition(std::string_view id, const Transition& t, Deadline deadline) = 0;
  // Orders not done whose last step is older than `before_ms` (wall clock).
  virtual Result<std::vector<Order>> stuck(std::int64_t before_ms, int limit,
                                           Deadline deadline) = 0;
  // Takes over a stuck order: true if its updated_at was still `seen_ms`
  // (now `now_ms`), so only one sweeper works on it at a time.
  virtual Result<bool> claim(std::string_view id, std::int64_t seen_ms, std::int64_t now_ms,
                             Deadline deadline) = 0;
  // Every order (the audit).
  virtual Status for_each(const std::function<void(const Order&)>& visit, Deadline deadline) = 0;
};

// The `leases` collection: {_id: name, owner, expires_at}.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // True when `owner` holds the lease `name` until now + ttl (taken or renewed).
  virtual Result<bool> acquire(std::string_view name, std::string_view owner,
                               std::chrono::milliseconds ttl, Deadline deadline) = 0;
};

}  // namespace storefront::store
