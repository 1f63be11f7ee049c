#pragma once

// A cache for handler tests: a caching decorator with the store's own
// interface, like cache::CachedCatalog, over a plain map (no Redis). A read
// it holds is a HIT; with `expired` set it loads again and serves what it
// holds as STALE when the store is down, as stale-if-error does.
#include <map>
#include <mutex>
#include <string>

#include "cache/cache_status.hpp"
#include "store/catalog.hpp"

namespace storefront::fakes {

class FakeCatalogCache final : public store::Catalog, public cache::CacheStatusSource {
 public:
  explicit FakeCatalogCache(store::Catalog& inner) : inner_(inner) {}
  std::atomic<bool> expired{false};

  void product(const store::Call& call, std::string sku, store::Done<store::Served> done) override {
    auto key = "product:" + sku;
    read(key, std::move(done),
         [&](store::Done<store::Served> d) { inner_.product(call, std::move(sku), std::move(d)); });
  }
  void products(const store::Call& call, store::ProductQuery q,
                store::Done<store::Served> done) override {
    auto key = "list:" + std::to_string(q.limit) + ":" + q.after.value_or("-") + ":" +
               q.category.value_or("-");
    read(key, std::move(done),
         [&](store::Done<store::Served> d) { inner_.products(call, std::move(q), std::move(d)); });
  }
  void categories(const store::Call& call, store::Done<store::Served> done) override {
    read("categories", std::move(done),
         [&](store::Done<store::Served> d) { inner_.categories(call, std::move(d)); });
  }
  void put(const store::Call& call, std::string sku, store::ProductInput p,
           store::Done<store::PutOutcome> done) override {
    inner_.put(call, std::move(sku), std::move(p),
               [this, done = std::move(done)](Result<store::PutOutcome> r) {
                 if (r) clear();
                 done(std::move(r));
               });
  }
  void remove(const store::Call& call, std::string sku, store::Done<bool> done) override {
    inner_.remove(call, std::move(sku), [this, done = std::move(done)](Result<bool> r) {
      if (r) clear();
      done(std::move(r));
    });
  }
  cache::CacheStatus status() const override {
    return cache::CacheStatus{true, true, cache::BreakerState::kClosed, "fake"};
  }

 private:
  template <class Load>
  void read(const std::string& key, store::Done<store::Served> done, Load load) {
    std::shared_ptr<const std::string> held;
    {
      std::lock_guard lock(mutex_);
      if (auto it = entries_.find(key); it != entries_.end()) held = it->second;
    }
    if (held && !expired) return done(store::Served{held, store::Source::kHit});
    load([this, key, held, done = std::move(done)](Result<store::Served> r) {
      if (!r) {
        if (held && r.error().kind == ErrorKind::kUnavailable) {
          return done(store::Served{held, store::Source::kStale});
        }
        return done(r.error());
      }
      {
        std::lock_guard lock(mutex_);
        entries_[key] = r->json;
      }
      done(store::Served{r->json, store::Source::kMiss});
    });
  }
  void clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
  }

  store::Catalog& inner_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const std::string>> entries_;
};

}  // namespace storefront::fakes
