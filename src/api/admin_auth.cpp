#include "api/admin_auth.hpp"

#include <cstdint>

namespace storefront::api {

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Walks the expected length whatever the given one, so a wrong length
  // leaks nothing about the content.
  volatile std::uint8_t diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const std::uint8_t x = i < a.size() ? static_cast<std::uint8_t>(a[i]) : 0;
    diff = diff | static_cast<std::uint8_t>(x ^ static_cast<std::uint8_t>(b[i]));
  }
  return diff == 0;
}

AdminAuth::Verdict AdminAuth::check(std::string_view authorization) const {
  if (token_.empty()) return Verdict::kDisabled;
  constexpr std::string_view kScheme = "Bearer ";
  // The scheme is case-insensitive (RFC 9110 11.1).
  if (authorization.size() < kScheme.size()) return Verdict::kUnauthenticated;
  for (std::size_t i = 0; i + 1 < kScheme.size(); ++i) {
    const char c = authorization[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != "bearer"[i]) return Verdict::kUnauthenticated;
  }
  if (authorization[kScheme.size() - 1] != ' ') return Verdict::kUnauthenticated;
  std::string_view given = authorization.substr(kScheme.size());
  return constant_time_equals(given, token_) ? Verdict::kAllowed : Verdict::kUnauthenticated;
}

}  // namespace storefront::api
