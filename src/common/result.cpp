#include "common/result.hpp"

#include "common/enum_names.hpp"

namespace storefront {
namespace {

constexpr auto kErrorKindNames = enum_names<ErrorKind, ErrorKind::kInternal>(
    std::array{"unavailable", "timeout", "invalid", "duplicate", "overloaded", "other"});

}  // namespace

const char* to_string(ErrorKind kind) {
  return kErrorKindNames.name(kind, "other");
}

}  // namespace storefront
