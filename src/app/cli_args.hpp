#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace storefront::app {

// The value of `--flag VALUE` or `--flag=VALUE` at args[i]; for the first form
// `i` moves past the value. nullopt when args[i] is another flag.
std::optional<std::string> flag_value(const std::vector<std::string>& args, std::size_t& i,
                                      std::string_view flag);

// `text` as a whole decimal integer in [min, max], or an error naming `flag`.
Result<std::int64_t> integer_flag(std::string_view flag, const std::string& text, std::int64_t min,
                                  std::int64_t max);

}  // namespace storefront::app
