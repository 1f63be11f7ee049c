// The `fill` subcommand lives in application.cpp next to `serve`; this unit
// holds its argument parsing.
#include "app/fill.hpp"

#include "app/cli_args.hpp"

namespace storefront::app {

Result<FillArgs> parse_fill_args(const std::vector<std::string>& args,
                                 std::vector<std::string>& rest) {
  FillArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (auto v = flag_value(args, i, "--collection")) {
      out.collection = *v;
    } else if (auto c = flag_value(args, i, "--count")) {
      auto n = integer_flag("--count", *c, 0, 100000000);
      if (!n) return n.error();
      out.count = *n;
    } else {
      rest.push_back(args[i]);
    }
  }
  return out;
}

}  // namespace storefront::app
