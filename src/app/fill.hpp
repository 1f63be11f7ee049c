#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace storefront::app {

struct FillArgs {
  std::string collection = "helloDoc";
  std::int64_t count = 1000;
};

// Takes --collection and --count out of `args`; the rest go to `rest`.
Result<FillArgs> parse_fill_args(const std::vector<std::string>& args,
                                 std::vector<std::string>& rest);

}  // namespace storefront::app
