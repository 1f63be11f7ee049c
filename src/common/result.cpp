#include "common/result.hpp"

namespace storefront {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kInvalid:
      return "invalid";
    case ErrorKind::kDuplicate:
      return "duplicate";
    case ErrorKind::kOverloaded:
      return "overloaded";
    case ErrorKind::kInternal:
      return "other";
  }
  return "other";
}

}  // namespace storefront
