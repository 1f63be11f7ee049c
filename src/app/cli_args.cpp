#include "app/cli_args.hpp"

#include <fmt/format.h>

#include <charconv>

namespace storefront::app {

std::optional<std::string> flag_value(const std::vector<std::string>& args, std::size_t& i,
                                      std::string_view flag) {
  const std::string& arg = args[i];
  if (arg == flag && i + 1 < args.size()) return args[++i];
  if (arg.size() > flag.size() && arg.compare(0, flag.size(), flag) == 0 &&
      arg[flag.size()] == '=') {
    return arg.substr(flag.size() + 1);
  }
  return std::nullopt;
}

Result<std::int64_t> integer_flag(std::string_view flag, const std::string& text, std::int64_t min,
                                  std::int64_t max) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n < min || n > max) {
    return Error{ErrorKind::kInvalid,
                 fmt::format("invalid {} '{}': expected {}..{}", flag, text, min, max)};
  }
  return n;
}

}  // namespace storefront::app
