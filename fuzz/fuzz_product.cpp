// PUT /catalog/products/{sku} bodies and GET /catalog/products queries: never
// crash; a body is a product whose fields keep the documented limits, or a
// JSON list of errors.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/product_validation.hpp"
#include "fuzz_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace api = storefront::api;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto product = api::parse_product(input);
  if (auto* errors = std::get_if<api::ValidationErrors>(&product)) {
    check_errors(errors->detail_json);
  } else {
    const auto& p = std::get<storefront::store::ProductInput>(product);
    if (p.media.size() > api::kMaxMedia || p.amount < 0 || p.amount > api::kMaxAmount) {
      __builtin_trap();
    }
    for (const auto& m : p.media) {
      if (!api::valid_media_path(m.path) || m.path.find("..") != std::string::npos)
        __builtin_trap();
    }
    boost::system::error_code ec;
    auto attributes = boost::json::parse(p.attributes_json, ec);
    if (ec || !attributes.is_object()) __builtin_trap();
  }
  auto query = api::parse_product_query("/catalog/products?" + std::string(input));
  if (auto* errors = std::get_if<api::ValidationErrors>(&query)) check_errors(errors->detail_json);
  return 0;
}
