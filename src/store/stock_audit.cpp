#include "store/stock_audit.hpp"

#include <fmt/format.h>

#include <map>

#include "store/bson_fields.hpp"

namespace storefront::store {
namespace {

void check_level(const StockLevel& s, std::vector<std::string>& out) {
  if (s.available < 0 || s.reserved < 0 || s.sold < 0) {
    out.push_back(fmt::format("sku {}: negative count (available {}, reserved {}, sold {})", s.sku,
                              s.available, s.reserved, s.sold));
  }
  if (s.available + s.reserved + s.sold != s.added) {
    out.push_back(fmt::format("sku {}: available {} + reserved {} + sold {} != added {}", s.sku,
                              s.available, s.reserved, s.sold, s.added));
  }
}

}  // namespace

Result<AuditReport> audit_stock(StockStore& stock, OrderStore& orders, std::int64_t stuck_ms,
                                Deadline deadline) {
  AuditReport report;
  std::map<std::string, std::int64_t> confirmed;  // units sold per SKU by the orders
  const std::int64_t stuck_before = now_ms() - stuck_ms;
  auto visited = orders.for_each(
      [&](const Order& o) {
        ++report.orders;
        if (o.status == OrderStatus::kConfirmed) {
          for (const auto& item : o.items) confirmed[item.sku] += item.quantity;
        }
        if (o.phase != OrderPhase::kDone && o.updated_at_ms < stuck_before) {
          report.violations.push_back(fmt::format("order {}: {} in phase {} for {} ms", o.id,
                                                  to_string(o.status), to_string(o.phase),
                                                  now_ms() - o.updated_at_ms));
        }
      },
      deadline);
  if (!visited) return visited.error();
  auto levels = stock.all(deadline);
  if (!levels) return levels.error();
  for (const auto& level : *levels) {
    ++report.skus;
    check_level(level, report.violations);
    const auto it = confirmed.find(level.sku);
    const std::int64_t expected = it == confirmed.end() ? 0 : it->second;
    if (it != confirmed.end()) confirmed.erase(it);
    if (level.sold != expected) {
      report.violations.push_back(fmt::format("sku {}: sold {} != {} units in confirmed orders",
                                              level.sku, level.sold, expected));
    }
  }
  for (const auto& [sku, units] : confirmed) {
    report.violations.push_back(
        fmt::format("sku {}: {} units in confirmed orders but no stock document", sku, units));
  }
  return report;
}

}  // namespace storefront::store
