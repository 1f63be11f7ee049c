#include "store/catalog.hpp"

namespace storefront::store {
namespace {

Result<Served> served(Result<std::string>&& body) {
  if (!body) return body.error();
  return uncached(std::move(body).value());
}

}  // namespace

std::optional<Error> DirectCatalog::known_down() const {
  if (down_ && down_()) return Error{ErrorKind::kUnavailable, "database down (health probe)"};
  return std::nullopt;
}

Result<std::string> DirectCatalog::load_products(const ProductQuery& query, Deadline deadline) {
  if (auto down = known_down()) return *down;
  return store_.products_json(query, deadline);
}

Result<std::string> DirectCatalog::load_categories(Deadline deadline) {
  if (auto down = known_down()) return *down;
  return store_.categories_json(deadline);
}

Result<std::string> DirectCatalog::load_product(const std::string& sku, Deadline deadline) {
  if (auto down = known_down()) return *down;
  auto found = store_.product_json(sku, deadline);
  if (!found) return found.error();
  return found.value() ? std::move(*found.value()) : std::string();
}

void DirectCatalog::product(const Call& call, std::string sku, Done<Served> done) {
  run_blocking<Served>(offloader_, call, std::move(done), [this, sku = std::move(sku), call] {
    return served(load_product(sku, call.deadline));
  });
}

void DirectCatalog::products(const Call& call, ProductQuery query, Done<Served> done) {
  run_blocking<Served>(offloader_, call, std::move(done), [this, query = std::move(query), call] {
    return served(load_products(query, call.deadline));
  });
}

void DirectCatalog::categories(const Call& call, Done<Served> done) {
  run_blocking<Served>(offloader_, call, std::move(done),
                       [this, call] { return served(load_categories(call.deadline)); });
}

void DirectCatalog::put(const Call& call, std::string sku, ProductInput product,
                        Done<PutOutcome> done) {
  run_blocking<PutOutcome>(offloader_, call, std::move(done),
                           [this, sku = std::move(sku), product = std::move(product), call] {
                             return store_.put_product(sku, product, call.deadline);
                           });
}

void DirectCatalog::remove(const Call& call, std::string sku, Done<bool> done) {
  run_blocking<bool>(offloader_, call, std::move(done),
                     [this, sku = std::move(sku), call]() -> Result<bool> {
                       if (auto down = known_down()) return *down;
                       return store_.delete_product(sku, call.deadline);
                     });
}

}  // namespace storefront::store
