#pragma once

#include "store/mongo_pool.hpp"
#include "store/stock_store.hpp"

namespace storefront::store {

// The stock collection: {_id: sku, available, reserved, sold, added,
// pending: [markers]}. Reads use the pool's primary read preference and
// writes its w:majority; every change is one findAndModify whose filter
// holds the condition (enough available, marker present or absent).
class MongoStockStore final : public StockStore {
 public:
  static constexpr const char* kCollection = "stock";

  explicit MongoStockStore(MongoPool& pool) : pool_(pool) {}

  Result<std::optional<StockLevel>> level(std::string_view sku, Deadline deadline) override;
  Result<std::optional<StockLevel>> adjust(std::string_view sku, std::int64_t delta,
                                           Deadline deadline) override;
  Result<Take> reserve(std::string_view sku, std::string_view marker, std::int64_t units,
                       Deadline deadline) override;
  Result<bool> commit(std::string_view sku, std::string_view marker, std::int64_t units,
                      Deadline deadline) override;
  Result<bool> release(std::string_view sku, std::string_view marker, std::int64_t units,
                       Deadline deadline) override;
  Result<bool> give_back(std::string_view sku, std::string_view marker, std::int64_t units,
                         Deadline deadline) override;
  Status unmark(std::string_view sku, std::string_view marker, Deadline deadline) override;
  Result<std::vector<StockLevel>> all(Deadline deadline) override;
  Result<bool> create_if_missing(std::string_view sku, std::int64_t units,
                                 Deadline deadline) override;

 private:
  // Moves `units` from `from` (if it holds that many) to `to` where the
  // marker is absent, leaving it.
  Result<bool> take(std::string_view sku, std::string_view marker, const char* from, const char* to,
                    std::int64_t units, Deadline deadline);
  // Moves `units` from `from` to `to` where the marker is present, pulling it.
  Result<bool> settle(std::string_view sku, std::string_view marker, const char* from,
                      const char* to, std::int64_t units, Deadline deadline);

  MongoPool& pool_;
};

}  // namespace storefront::store
