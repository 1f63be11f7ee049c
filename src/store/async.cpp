#include "store/async.hpp"

#include "common/enum_names.hpp"

namespace storefront::store {

namespace {

constexpr auto kSourceNames =
    enum_names<Source, Source::kStale>(std::array{"", "HIT", "MISS", "BYPASS", "STALE"});

}  // namespace

const char* to_string(Source source) {
  return kSourceNames.name(source, "");
}

}  // namespace storefront::store
