// Redis replies as both Redis paths (the blocking Connection and the
// non-blocking cache reader) parse them, nested arrays included: whatever the
// bytes and however they are split across reads (the first input byte picks
// the split), the parser never crashes, always makes progress, and finds the
// same replies as when it is fed the whole input at once.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "redis/impl/resp_parser.hpp"

namespace {

using storefront::redis::Reply;
using storefront::redis::ReplyParser;

struct Outcome {
  std::vector<Reply> replies;
  bool protocol_error = false;
};

// `chunk` 0 feeds everything at once; otherwise pieces of `chunk` bytes, and
// large bulk strings are filled through bulk_target() as a socket read would.
Outcome parse(std::string_view input, std::size_t chunk) {
  Outcome out;
  ReplyParser parser;
  while (!input.empty()) {
    if (chunk > 0) {
      auto target = parser.bulk_target();
      if (target.size() >= 8) {
        const auto n = std::min({target.size(), input.size(), chunk});
        std::copy_n(input.data(), n, target.data());
        parser.commit_bulk(n);
        input.remove_prefix(n);
        continue;
      }
    }
    const auto piece = chunk == 0 ? input : input.substr(0, chunk);
    bool error = false;
    const auto used = parser.feed(piece, error);
    if (used > piece.size()) __builtin_trap();
    if (error) {
      out.protocol_error = true;
      return out;
    }
    if (used == 0 && !parser.complete()) __builtin_trap();  // no progress
    input.remove_prefix(used);
    if (parser.complete()) out.replies.push_back(parser.take());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 16;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = parse(input, 0);
  const Outcome split = parse(input, chunk);
  if (whole.protocol_error != split.protocol_error) __builtin_trap();
  if (whole.replies.size() != split.replies.size()) __builtin_trap();
  if (whole.replies != split.replies) __builtin_trap();
  // What the MGET callers do with a reply must not crash either.
  for (const Reply& reply : whole.replies) (void)storefront::redis::to_values(Reply(reply));
  return 0;
}
