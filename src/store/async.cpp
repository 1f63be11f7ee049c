#include "store/async.hpp"

namespace storefront::store {

const char* to_string(Source source) {
  switch (source) {
    case Source::kUncached:
      return "";
    case Source::kHit:
      return "HIT";
    case Source::kMiss:
      return "MISS";
    case Source::kBypass:
      return "BYPASS";
    case Source::kStale:
      return "STALE";
  }
  return "";
}

}  // namespace storefront::store
