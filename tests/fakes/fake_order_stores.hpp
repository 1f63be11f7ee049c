#pragma once

// In-memory stock, orders and leases for handler and flow tests: the same
// conditional semantics as the MongoDB stores (each call is atomic under one
// mutex, like one findAndModify). `down` fails every call; `fail_sku` fails
// the calls on one SKU only (a database that dies mid-order).
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/bson_fields.hpp"
#include "store/order_store.hpp"
#include "store/stock_store.hpp"

namespace storefront::fakes {

inline Error store_down() {
  return Error{ErrorKind::kUnavailable, "fake: database down"};
}

class FakeStockStore final : public store::StockStore {
 public:
  std::atomic<bool> down{false};
  std::string fail_sku;  // set before the calls that should fail on it

  void put(const std::string& sku, std::int64_t available) {
    std::lock_guard lock(mutex_);
    auto& s = levels_[sku];
    s.sku = sku;
    s.available = s.added = available;
  }
  store::StockLevel get(const std::string& sku) {
    std::lock_guard lock(mutex_);
    return levels_[sku];
  }

  Result<std::optional<store::StockLevel>> level(std::string_view sku, Deadline) override {
    std::lock_guard lock(mutex_);
    if (auto e = failing(sku)) return *e;
    auto it = levels_.find(std::string(sku));
    if (it == levels_.end()) return std::optional<store::StockLevel>();
    return std::optional(it->second);
  }
  Result<std::optional<store::StockLevel>> adjust(std::string_view sku, std::int64_t delta,
                                                  Deadline) override {
    std::lock_guard lock(mutex_);
    if (auto e = failing(sku)) return *e;
    auto it = levels_.find(std::string(sku));
    if (delta < 0 && (it == levels_.end() || it->second.available < -delta)) {
      return std::optional<store::StockLevel>();
    }
    auto& s = levels_[std::string(sku)];
    s.sku = std::string(sku);
    s.available += delta;
    s.added += delta;
    return std::optional(s);
  }
  Result<store::Take> reserve(std::string_view sku, std::string_view marker, std::int64_t units,
                              Deadline) override {
    std::lock_guard lock(mutex_);
    if (auto e = failing(sku)) return *e;
    auto it = levels_.find(std::string(sku));
    if (it == levels_.end()) return store::Take{false, 0};
    auto& s = it->second;
    if (has(s, marker)) return store::Take{true, s.available};
    if (s.available < units) return store::Take{false, s.available};
    s.available -= units;
    s.reserved += units;
    s.pending.emplace_back(marker);
    return store::Take{true, 0};
  }
  Result<bool> commit(std::string_view sku, std::string_view marker, std::int64_t units,
                      Deadline) override {
    return settle(sku, marker, units, &store::StockLevel::sold);
  }
  Result<bool> release(std::string_view sku, std::string_view marker, std::int64_t units,
                       Deadline) override {
    return settle(sku, marker, units, &store::StockLevel::available);
  }
  Result<bool> give_back(std::string_view sku, std::string_view marker, std::int64_t units,
                         Deadline) override {
    std::lock_guard lock(mutex_);
    if (auto e = failing(sku)) return *e;
    auto& s = levels_[std::string(sku)];
    if (has(s, marker) || s.sold < units) return false;
    s.sold -= units;
    s.available += units;
    s.pending.emplace_back(marker);
    return true;
  }
  Status unmark(std::string_view sku, std::string_view marker, Deadline) override {
    std::lock_guard lock(mutex_);
    if (auto e = failing(sku)) return *e;
    auto& p = levels_[std::string(sku)].pending;
    p.erase(std::remove(p.begin(), p.end(), marker), p.end());
    return ok_status();
  }
  Result<std::vector<store::StockLevel>> all(Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    std::vector<store::StockLevel> out;
    for (const auto& [sku, s] : levels_) out.push_back(s);
    return out;
  }
  Result<bool> create_if_missing(std::string_view sku, std::int64_t units, Deadline) override {
    std::lock_guard lock(mutex_);
    if (levels_.count(std::string(sku))) return false;
    auto& s = levels_[std::string(sku)];
    s.sku = std::string(sku);
    s.available = s.added = units;
    return true;
  }

 private:
  std::optional<Error> failing(std::string_view sku) const {
    if (down || (!fail_sku.empty() && sku == fail_sku)) return store_down();
    return std::nullopt;
  }
  static bool has(const store::StockLevel& s, std::string_view marker) {
    return std::find(s.pending.begin(), s.pending.end(), marker) != s.pending.end();
  }
  Result<bool> settle(std::string_view sku, std::string_view marker, std::int64_t units,
                      std::int64_t store::StockLevel::*to) {
    std::lock_guard lock(mutex_);
    if (auto e = failing(sku)) return *e;
    auto& s = levels_[std::string(sku)];
    if (!has(s, marker)) return false;
    s.reserved -= units;
    s.*to += units;
    s.pending.erase(std::find(s.pending.begin(), s.pending.end(), marker));
    return true;
  }

  std::mutex mutex_;
  std::map<std::string, store::StockLevel> levels_;
};

class FakeOrderStore final : public store::OrderStore {
 public:
  std::atomic<bool> down{false};
  std::atomic<int> claims{0};

  void put(const store::Order& order) {
    std::lock_guard lock(mutex_);
    orders_[order.id] = order;
  }
  std::vector<store::Order> snapshot() {
    std::lock_guard lock(mutex_);
    std::vector<store::Order> out;
    for (const auto& [id, o] : orders_) out.push_back(o);
    return out;
  }

  Status ensure_indexes(Deadline) override {
    if (down) return store_down();
    return ok_status();
  }
  Result<bool> exists(Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    return !orders_.empty();
  }
  Result<bool> insert(const store::Order& order, Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    if (order.idempotency_key && by_key(*order.idempotency_key)) return false;
    orders_[order.id] = order;
    return true;
  }
  Result<std::optional<store::Order>> find(std::string_view id, Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    auto it = orders_.find(std::string(id));
    if (it == orders_.end()) return std::optional<store::Order>();
    return std::optional(it->second);
  }
  Result<std::optional<store::Order>> find_by_key(std::string_view key, Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    auto* o = by_key(key);
    return o ? std::optional(*o) : std::nullopt;
  }
  Result<bool> transition(std::string_view id, const store::Transition& t, Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    auto it = orders_.find(std::string(id));
    if (it == orders_.end() || it->second.status != t.from_status ||
        it->second.phase != t.from_phase) {
      return false;
    }
    auto& o = it->second;
    o.status = t.to_status;
    o.phase = t.to_phase;
    o.updated_at_ms = store::now_ms();
    if (t.rejection) o.rejection = t.rejection;
    if (t.release_key) o.idempotency_key.reset();
    return true;
  }
  Result<std::vector<store::Order>> stuck(std::int64_t before_ms, int limit, Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    std::vector<store::Order> out;
    for (const auto& [id, o] : orders_) {
      if (o.phase != store::OrderPhase::kDone && o.updated_at_ms < before_ms &&
          static_cast<int>(out.size()) < limit) {
        out.push_back(o);
      }
    }
    return out;
  }
  Result<bool> claim(std::string_view id, std::int64_t seen_ms, std::int64_t now_ms,
                     Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    auto it = orders_.find(std::string(id));
    if (it == orders_.end() || it->second.updated_at_ms != seen_ms) return false;
    it->second.updated_at_ms = now_ms;
    ++claims;
    return true;
  }
  Status for_each(const std::function<void(const store::Order&)>& visit, Deadline) override {
    std::lock_guard lock(mutex_);
    if (down) return store_down();
    for (const auto& [id, o] : orders_) visit(o);
    return ok_status();
  }

 private:
  store::Order* by_key(std::string_view key) {
    for (auto& [id, o] : orders_) {
      if (o.idempotency_key == key) return &o;
    }
    return nullptr;
  }

  std::mutex mutex_;
  std::map<std::string, store::Order> orders_;
};

class FakeLeaseStore final : public store::LeaseStore {
 public:
  std::string holder;  // "" free; another name: held by someone else

  Result<bool> acquire(std::string_view, std::string_view owner, std::chrono::milliseconds,
                       Deadline) override {
    std::lock_guard lock(mutex_);
    if (holder.empty()) holder = std::string(owner);
    return holder == owner;
  }

 private:
  std::mutex mutex_;
};

}  // namespace storefront::fakes
