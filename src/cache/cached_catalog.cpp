#include "cache/cached_catalog.hpp"

#include <fmt/format.h>

#include "cache/cached_users.hpp"

namespace storefront::cache {
namespace {

constexpr std::string_view kCollection = "products";

CacheKey catalog_key(std::string_view db, std::string_view what) {
  auto scope = cache_scope(db, kCollection);
  auto key = fmt::format("storefront:v1:{{{}}}:catalog:{}", scope, what);
  return CacheKey{std::move(scope), std::move(key)};
}

// Query values inside a key: percent-encoded so that no value can imitate
// the separators of another query.
std::string key_part(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      fmt::format_to(std::back_inserter(out), "%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

CacheKey product_key(std::string_view db, std::string_view sku) {
  return catalog_key(db, fmt::format("product:{}", key_part(sku)));
}

CacheKey product_list_key(std::string_view db, const store::ProductQuery& query) {
  // "-" marks an absent value; a present one is never "-" alone after encoding
  // because it is prefixed with "=".
  auto part = [](const std::optional<std::string>& v) {
    // fmt, not "=" + string: GCC 12 at -O3 warns (-Wrestrict, a false positive) on the latter.
    return v ? fmt::format("={}", key_part(*v)) : std::string("-");
  };
  return catalog_key(
      db, fmt::format("list:{}:{}:{}", query.limit, part(query.after), part(query.category)));
}

CacheKey categories_key(std::string_view db) {
  return catalog_key(db, "categories");
}

void CachedCatalog::product(const store::Call& call, std::string sku,
                            store::Done<store::Served> done) {
  auto key = product_key(database_, sku);
  reads_.read(
      call, std::move(key), options(),
      [this, sku = std::move(sku)](Deadline deadline) {
        return inner_.load_product(sku, deadline);
      },
      std::move(done));
}

void CachedCatalog::products(const store::Call& call, store::ProductQuery query,
                             store::Done<store::Served> done) {
  auto key = product_list_key(database_, query);
  reads_.read(
      call, std::move(key), options(),
      [this, query = std::move(query)](Deadline deadline) {
        return inner_.load_products(query, deadline);
      },
      std::move(done));
}

void CachedCatalog::categories(const store::Call& call, store::Done<store::Served> done) {
  reads_.read(
      call, categories_key(database_), options(),
      [this](Deadline deadline) { return inner_.load_categories(deadline); }, std::move(done));
}

void CachedCatalog::put(const store::Call& call, std::string sku, store::ProductInput product,
                        store::Done<store::PutOutcome> done) {
  inner_.put(
      call, std::move(sku), std::move(product),
      [this, deadline = call.deadline, done = std::move(done)](Result<store::PutOutcome> stored) {
        if (stored) {
          invalidate_after_write(reads_.cache(), cache_scope(database_, kCollection), deadline);
        }
        done(std::move(stored));
      });
}

void CachedCatalog::remove(const store::Call& call, std::string sku, store::Done<bool> done) {
  inner_.remove(call, std::move(sku),
                [this, deadline = call.deadline, done = std::move(done)](Result<bool> removed) {
                  if (removed) {
                    invalidate_after_write(reads_.cache(), cache_scope(database_, kCollection),
                                           deadline);
                  }
                  done(std::move(removed));
                });
}

}  // namespace storefront::cache
