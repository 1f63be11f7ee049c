#pragma once

#include <chrono>
#include <string>

#include "cache/read_through.hpp"
#include "store/catalog.hpp"

namespace storefront::cache {

// The catalog's keys: one invalidation scope, "<db>.products", for products,
// lists and categories, so a write drops all of them on every instance.
CacheKey product_key(std::string_view db, std::string_view sku);
CacheKey product_list_key(std::string_view db, const store::ProductQuery& query);
CacheKey categories_key(std::string_view db);

// The catalog with every read cached (stale-if-error for `stale` beyond the
// TTL): a caching decorator over DirectCatalog with the same interface.
class CachedCatalog final : public store::Catalog {
 public:
  CachedCatalog(ReadThrough& reads, store::DirectCatalog& inner, std::string database,
                std::chrono::seconds stale)
      : reads_(reads), inner_(inner), database_(std::move(database)), stale_(stale) {}

  void product(const store::Call& call, std::string sku, store::Done<store::Served> done) override;
  void products(const store::Call& call, store::ProductQuery query,
                store::Done<store::Served> done) override;
  void categories(const store::Call& call, store::Done<store::Served> done) override;
  void put(const store::Call& call, std::string sku, store::ProductInput product,
           store::Done<store::PutOutcome> done) override;
  void remove(const store::Call& call, std::string sku, store::Done<bool> done) override;

 private:
  LoadOptions options() const { return LoadOptions{std::chrono::seconds(0), stale_, false}; }

  ReadThrough& reads_;
  store::DirectCatalog& inner_;
  const std::string database_;
  const std::chrono::seconds stale_;
};

}  // namespace storefront::cache
