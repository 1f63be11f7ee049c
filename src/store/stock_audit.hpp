#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/order_store.hpp"
#include "store/stock_store.hpp"

namespace storefront::store {

struct AuditReport {
  std::int64_t skus = 0;
  std::int64_t orders = 0;
  std::vector<std::string> violations;  // one line each
};

// `storefront audit`: for every SKU available + reserved + sold == added and
// none negative; the units of confirmed orders per SKU == sold; no order
// unsettled for longer than `stuck_ms` (the sweep's limit). Meant for a
// quiet system (after a load): an order being placed right now holds units
// that are reserved, not yet sold.
Result<AuditReport> audit_stock(StockStore& stock, OrderStore& orders, std::int64_t stuck_ms,
                                Deadline deadline);

}  // namespace storefront::store
