#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/mongo_pool.hpp"
#include "store/product_store.hpp"

namespace storefront::store {

// The products collection: one document per SKU, {_id: sku, name,
// description, category, price: {amount, currency}, media: [{kind, path,
// width?, height?}], attributes, updated_at}. Media URLs are `media_base` +
// "/" + path, so moving the CDN is one setting.
class MongoProductStore final : public ProductStore {
 public:
  static constexpr const char* kCollection = "products";

  MongoProductStore(MongoPool& pool, std::string media_base);

  Result<std::optional<std::string>> product_json(std::string_view sku, Deadline deadline) override;
  Result<std::string> products_json(const ProductQuery& query, Deadline deadline) override;
  Result<std::string> categories_json(Deadline deadline) override;
  Result<PutOutcome> put_product(std::string_view sku, const ProductInput& product,
                                 Deadline deadline) override;
  Result<bool> delete_product(std::string_view sku, Deadline deadline) override;

  // `storefront fill --products N`: inserts the products whose SKU is
  // missing (idempotent) and indexes {category, _id} for category pages.
  struct FillReport {
    std::int64_t inserted = 0;
    std::int64_t existing = 0;
  };
  Result<FillReport> fill(const std::vector<std::pair<std::string, ProductInput>>& products,
                          Deadline deadline);

 private:
  void append_product(std::string& out, const bson_t* doc) const;

  MongoPool& pool_;
  const std::string media_base_;  // no trailing '/'
};

// The products `storefront fill` writes: deterministic, so every run agrees.
std::vector<std::pair<std::string, ProductInput>> generated_products(std::int64_t count);

}  // namespace storefront::store
