#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::store {

// One SKU's stock. Invariant: available + reserved + sold == added, all >= 0.
struct StockLevel {
  std::string sku;
  std::int64_t available = 0;
  std::int64_t reserved = 0;
  std::int64_t sold = 0;
  std::int64_t added = 0;
  std::vector<std::string> pending;  // markers of the orders with a step in flight
};

// The outcome of a conditional take: whether the units are held for the
// marker now (taken by this call or by an earlier one), else what was there.
struct Take {
  bool held = false;
  std::int64_t available = 0;  // when short: the available units seen
};

// The `stock` collection, one document per SKU. Every change is one
// conditional single-document update; the steps of an order carry its
// marker, so repeating a step is a no-op. Blocking: worker threads only.
class StockStore {
 public:
  virtual ~StockStore() = default;
  // nullopt when the SKU has no stock document.
  virtual Result<std::optional<StockLevel>> level(std::string_view sku, Deadline deadline) = 0;
  // Restock (delta > 0, creating the document) or removal of unsold units
  // (delta < 0, only if that many are available); the level after, or
  // nullopt when a removal found too few (or no document).
  virtual Result<std::optional<StockLevel>> adjust(std::string_view sku, std::int64_t delta,
                                                   Deadline deadline) = 0;
  // available -> reserved for `marker`, unless it already holds a reservation.
  virtual Result<Take> reserve(std::string_view sku, std::string_view marker, std::int64_t units,
                               Deadline deadline) = 0;
  // reserved -> sold, and the marker goes. False: the marker was not there.
  virtual Result<bool> commit(std::string_view sku, std::string_view marker, std::int64_t units,
                              Deadline deadline) = 0;
  // reserved -> available, and the marker goes. False: the marker was not there.
  virtual Result<bool> release(std::string_view sku, std::string_view marker, std::int64_t units,
                               Deadline deadline) = 0;
  // sold -> available for a cancelled order, leaving `marker` so a repeat is
  // a no-op. False: already given back (or not sold).
  virtual Result<bool> give_back(std::string_view sku, std::string_view marker, std::int64_t units,
                                 Deadline deadline) = 0;
  // Removes `marker` alone (the last step of a cancellation).
  virtual Status unmark(std::string_view sku, std::string_view marker, Deadline deadline) = 0;
  // Every stock document (the audit).
  virtual Result<std::vector<StockLevel>> all(Deadline deadline) = 0;
  // `fill --stock`: a document with `units` available unless one exists.
  // True when created.
  virtual Result<bool> create_if_missing(std::string_view sku, std::int64_t units,
                                         Deadline deadline) = 0;
};

}  // namespace storefront::store
