#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace storefront::app {

struct FillArgs {
  std::string collection = "helloDoc";
  std::int64_t count = 1000;
  bool users = true;                     // false: only --products was asked for
  std::optional<std::int64_t> products;  // --products N
  std::string media_dir;                 // --media-dir: where the product images go
  std::optional<std::int64_t> stock;     // --stock U: units of each product, where none yet
};

// Takes --collection, --count, --products, --stock and --media-dir out of `args`;
// the rest go to `rest`.
Result<FillArgs> parse_fill_args(const std::vector<std::string>& args,
                                 std::vector<std::string>& rest);

// A small RGB PNG of one colour with a lighter diagonal band, so generated
// product images differ visibly.
std::string generated_png(int width, int height, std::uint32_t rgb);

}  // namespace storefront::app
