#include "api/http_caching.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

namespace storefront::api {

namespace {

constexpr std::uint64_t kK1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kK2 = 0xC2B2AE3D27D4EB4FULL;

std::uint64_t rotl(std::uint64_t v, int r) {
  return (v << r) | (v >> (64 - r));
}

std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::uint64_t mix(std::uint64_t h, std::uint64_t w) {
  return rotl(h ^ (w * kK2), 31) * kK1;
}

}  // namespace

// Four independent 64-bit lanes over 32-byte blocks (the multiplications of
// one block overlap), then the tail and the length: a hit on a 10 KB list
// costs about a microsecond, not the ~10 us of a byte-at-a-time hash.
std::string strong_etag(std::string_view body) {
  std::uint64_t lane[4] = {kK1, kK2, ~kK1, ~kK2};
  const char* p = body.data();
  std::size_t n = body.size();
  for (; n >= 32; p += 32, n -= 32) {
    for (std::size_t i = 0; i < 4; ++i) lane[i] = mix(lane[i], load64(p + 8 * i));
  }
  std::uint64_t h = rotl(lane[0], 1) ^ rotl(lane[1], 7) ^ rotl(lane[2], 12) ^ rotl(lane[3], 18);
  for (; n >= 8; p += 8, n -= 8) h = mix(h, load64(p));
  std::uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = mix(h, tail ^ (static_cast<std::uint64_t>(body.size()) << 3));
  h ^= h >> 33;
  h *= kK2;
  h ^= h >> 29;
  return fmt::format("\"{:016x}\"", h);
}

bool if_none_match_hits(std::string_view header, std::string_view etag) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    if (tag == "*") return true;
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace storefront::api
