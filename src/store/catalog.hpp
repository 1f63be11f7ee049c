#pragma once

#include <functional>
#include <optional>
#include <string>

#include "store/async.hpp"
#include "store/product_store.hpp"

namespace storefront::store {

// What the catalog API calls (see store/async.hpp). A read's JSON is empty
// when the product does not exist (so that a cache can hold the answer "no
// such product" like any other). Implemented directly over a ProductStore
// here and by the caching decorator cache::CachedCatalog.
class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual void product(const Call& call, std::string sku, Done<Served> done) = 0;
  virtual void products(const Call& call, ProductQuery query, Done<Served> done) = 0;
  virtual void categories(const Call& call, Done<Served> done) = 0;
  virtual void put(const Call& call, std::string sku, ProductInput product,
                   Done<PutOutcome> done) = 0;
  virtual void remove(const Call& call, std::string sku, Done<bool> done) = 0;
};

// Every call on a worker, straight to the store.
class DirectCatalog final : public Catalog {
 public:
  DirectCatalog(ProductStore& store, Offloader& offloader) : store_(store), offloader_(offloader) {}

  // While `down()` says the database is down (the health probe), calls fail
  // at once as unavailable instead of waiting for server selection: a worker
  // is then busy for microseconds, not seconds, so an outage cannot fill the
  // worker queue and the cache's stale entries (or a fast 503) reach the
  // shoppers. Set before serving.
  void fail_fast_when(std::function<bool()> down) { down_ = std::move(down); }

  void product(const Call& call, std::string sku, Done<Served> done) override;
  void products(const Call& call, ProductQuery query, Done<Served> done) override;
  void categories(const Call& call, Done<Served> done) override;
  void put(const Call& call, std::string sku, ProductInput product, Done<PutOutcome> done) override;
  void remove(const Call& call, std::string sku, Done<bool> done) override;

  // The blocking reads, for a cache's loaders (worker threads only).
  Result<std::string> load_product(const std::string& sku, Deadline deadline);
  Result<std::string> load_products(const ProductQuery& query, Deadline deadline);
  Result<std::string> load_categories(Deadline deadline);

 private:
  // kUnavailable while the database is known to be down.
  std::optional<Error> known_down() const;

  ProductStore& store_;
  Offloader& offloader_;
  std::function<bool()> down_;
};

}  // namespace storefront::store
