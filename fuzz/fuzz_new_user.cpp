// POST /{collection}/users bodies: never crash, and every answer is either a
// user or a JSON list of errors.
#include <boost/json.hpp>
#include <cstdint>
#include <string_view>

#include "api/validation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto result = storefront::api::parse_new_user(body);
  if (auto* errors = std::get_if<storefront::api::ValidationErrors>(&result)) {
    // The echoed input may be as deep as the body parser allows (32), plus
    // the two levels of the error list itself.
    boost::json::parse_options options;
    options.max_depth = 64;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(errors->detail_json, ec, {}, options);
    if (ec || !parsed.is_array() || parsed.as_array().empty()) __builtin_trap();
  }
  return 0;
}
