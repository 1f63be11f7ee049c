#pragma once

#include "store/mongo_pool.hpp"
#include "store/order_store.hpp"

namespace storefront::store {

// The orders collection: {_id, idempotency_key? (unique, sparse),
// request_hash, customer_id, items: [{sku, quantity, unit_price: {amount,
// currency}}], total: {amount, currency}, status, phase, created_at,
// updated_at, rejection?: {sku, requested, available}}.
class MongoOrderStore final : public OrderStore {
 public:
  static constexpr const char* kCollection = "orders";

  explicit MongoOrderStore(MongoPool& pool) : pool_(pool) {}

  Status ensure_indexes(Deadline deadline) override;
  Result<bool> exists(Deadline deadline) override;
  Result<bool> insert(const Order& order, Deadline deadline) override;
  Result<std::optional<Order>> find(std::string_view id, Deadline deadline) override;
  Result<std::optional<Order>> find_by_key(std::string_view key, Deadline deadline) override;
  Result<bool> transition(std::string_view id, const Transition& t, Deadline deadline) override;
  Result<std::vector<Order>> stuck(std::int64_t before_ms, int limit, Deadline deadline) override;
  Result<bool> claim(std::string_view id, std::int64_t seen_ms, std::int64_t now_ms,
                     Deadline deadline) override;
  Status for_each(const std::function<void(const Order&)>& visit, Deadline deadline) override;

 private:
  Result<std::optional<Order>> find_one(const bson_t* filter, Deadline deadline);

  MongoPool& pool_;
};

// The leases collection: one document per lease, taken by an upsert whose
// filter only matches a lease that is ours or expired (a live lease of
// another owner makes the upsert collide on _id).
class MongoLeaseStore final : public LeaseStore {
 public:
  static constexpr const char* kCollection = "leases";

  explicit MongoLeaseStore(MongoPool& pool) : pool_(pool) {}

  Result<bool> acquire(std::string_view name, std::string_view owner, std::chrono::milliseconds ttl,
                       Deadline deadline) override;

 private:
  MongoPool& pool_;
};

}  // namespace storefront::store
