// Request targets and collection names.
#include <cstdint>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "api/validation.hpp"
#include "common/json_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  auto match = storefront::api::match_route(target);
  (void)storefront::api::route_template(match.route);
  if (!match.collection.empty()) (void)storefront::api::collection_name_problem(match.collection);
  std::string out;
  storefront::append_json_string(out, target);
  if (!storefront::is_valid_utf8(std::string_view(out).substr(1, out.size() - 2))) {
    __builtin_trap();  // escaped output must always be valid UTF-8
  }
  return 0;
}
