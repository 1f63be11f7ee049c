#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "api/validation_errors.hpp"
#include "store/product_store.hpp"

namespace storefront::api {

// The constraints; the OpenAPI document (api/openapi.cpp) is generated from
// them, so the validators and the spec cannot disagree.
inline constexpr std::size_t kMaxSkuLength = 64;  // kSkuPattern's {0,63} plus the first
inline constexpr std::string_view kSkuPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
inline constexpr std::string_view kCurrencyPattern = "^[A-Z]{3}$";
// Relative, '/'-separated segments that never start with or repeat a '.',
// so no "..", no absolute path, no scheme (no ':').
inline constexpr std::string_view kMediaPathPattern =
    "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*)*$";
inline constexpr std::string_view kAttributeNamePattern = "^[A-Za-z0-9_][A-Za-z0-9_ -]{0,63}$";
inline constexpr std::int64_t kMaxAmount = (std::int64_t{1} << 53) - 1;
inline constexpr std::size_t kMaxMedia = 20;
inline constexpr std::size_t kMaxAttributes = 50;
inline constexpr std::size_t kMaxAttributeName = 64;  // kAttributeNamePattern's length
inline constexpr std::size_t kMaxAttributeText = 1000;
inline constexpr std::size_t kMaxProductName = 200;
inline constexpr std::size_t kMaxDescription = 5000;
inline constexpr std::size_t kMaxCategory = 100;
inline constexpr std::size_t kMaxMediaPath = 512;
inline constexpr std::int64_t kMaxMediaDimension = 100000;
// GET /catalog/products?limit= (the default is store::ProductQuery::limit).
inline constexpr std::int64_t kMaxPageLimit = 100;

bool valid_sku(std::string_view sku);
bool valid_media_path(std::string_view path);

// A path parameter {sku} that does not match kSkuPattern, as a 422 detail.
ValidationErrors sku_errors(std::string_view sku);

// The body of PUT /catalog/products/{sku}.
std::variant<store::ProductInput, ValidationErrors> parse_product(std::string_view body);

// The query of GET /catalog/products (category, limit, after) from the target.
std::variant<store::ProductQuery, ValidationErrors> parse_product_query(std::string_view target);

}  // namespace storefront::api
