#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace storefront::api {

// The admin API's Bearer token check.
class AdminAuth {
 public:
  enum class Verdict { kAllowed, kDisabled, kUnauthenticated };

  // An empty token disables the admin API (403 for everyone).
  explicit AdminAuth(std::string token) : token_(std::move(token)) {}

  // `authorization`: the Authorization header's value (empty when absent).
  // The comparison takes the same time whatever the given token is.
  Verdict check(std::string_view authorization) const;

 private:
  std::string token_;
};

// Compares in time that depends on the lengths only, never on where the
// first difference is.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace storefront::api
