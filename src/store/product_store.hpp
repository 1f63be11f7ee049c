#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::store {

struct MediaInput {
  std::string kind;  // "image" | "video"
  std::string path;  // relative to the media base, validated by the API
  std::optional<std::int64_t> width;
  std::optional<std::int64_t> height;
};

// A product as an admin writes it (PUT): everything but the SKU and the
// update time, media by path.
struct ProductInput {
  std::string name;
  std::string description;
  std::string category;
  std::int64_t amount = 0;  // minor units
  std::string currency;
  std::vector<MediaInput> media;
  std::string attributes_json = "{}";  // a serialized JSON object
};

// One page of GET /catalog/products: keyset pagination over SKUs.
struct ProductQuery {
  std::optional<std::string> category;
  int limit = 20;
  std::optional<std::string> after;  // exclusive lower bound on the SKU
};

struct PutOutcome {
  bool created = false;
  std::string json;  // the stored product, rendered
};

// The products collection. Blocking: worker threads only. Products come
// back rendered as the API's JSON with media URLs on the configured base,
// so the documents only ever hold paths.
class ProductStore {
 public:
  virtual ~ProductStore() = default;
  // The product object, or nullopt when no product has this SKU.
  virtual Result<std::optional<std::string>> product_json(std::string_view sku,
                                                          Deadline deadline) = 0;
  // {"products":[...],"next":<sku>|null}
  virtual Result<std::string> products_json(const ProductQuery& query, Deadline deadline) = 0;
  // {"categories":[{"name":...,"products":n},...]} ordered by name.
  virtual Result<std::string> categories_json(Deadline deadline) = 0;
  // Create or replace.
  virtual Result<PutOutcome> put_product(std::string_view sku, const ProductInput& product,
                                         Deadline deadline) = 0;
  // False when no product had this SKU.
  virtual Result<bool> delete_product(std::string_view sku, Deadline deadline) = 0;
};

}  // namespace storefront::store
