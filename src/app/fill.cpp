// The `fill` subcommand lives in application.cpp next to `serve`; this unit
// holds its argument parsing.
#include "app/fill.hpp"

#include <charconv>
#include <optional>

namespace storefront::app {

Result<FillArgs> parse_fill_args(const std::vector<std::string>& args,
                                 std::vector<std::string>& rest) {
  FillArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value_of = [&](std::string_view flag) -> std::optional<std::string> {
      if (arg == flag && i + 1 < args.size()) return args[++i];
      if (arg.rfind(std::string(flag) + "=", 0) == 0) return arg.substr(flag.size() + 1);
      return std::nullopt;
    };
    if (auto v = value_of("--collection")) {
      out.collection = *v;
    } else if (auto c = value_of("--count")) {
      std::int64_t n = 0;
      auto [ptr, ec] = std::from_chars(c->data(), c->data() + c->size(), n);
      if (ec != std::errc() || ptr != c->data() + c->size() || n < 0 || n > 100000000) {
        return Error{ErrorKind::kInvalid, "invalid --count '" + *c + "': expected 0..100000000"};
      }
      out.count = n;
    } else {
      rest.push_back(arg);
    }
  }
  return out;
}

}  // namespace storefront::app
