#include "common/enum_names.hpp"

#include <gtest/gtest.h>

#include "cache/circuit_breaker.hpp"
#include "cache/response_cache.hpp"
#include "common/result.hpp"
#include "store/async.hpp"
#include "store/health_probe.hpp"
#include "store/order_store.hpp"

namespace storefront {
namespace {

enum class Color { kRed, kGreen, kBlue };
constexpr auto kColors = enum_names<Color, Color::kBlue>(std::array{"red", "green", "blue"});

TEST(EnumNames, NamesEveryValueAndParsesThemBack) {
  static_assert(kColors.size() == 3);
  static_assert(std::string_view(kColors.name(Color::kGreen, "?")) == "green");
  EXPECT_STREQ(kColors.name(static_cast<Color>(7), "?"), "?");
  EXPECT_EQ(kColors.parse("blue"), Color::kBlue);
  EXPECT_EQ(kColors.parse("purple"), std::nullopt);
  EXPECT_EQ(kColors.parse(""), std::nullopt);
}

// The names other components rely on (metrics labels, JSON bodies, the
// orders stored in MongoDB) stay what they were before the table.
TEST(EnumNames, KeepsTheWireNames) {
  EXPECT_STREQ(to_string(ErrorKind::kInternal), "other");
  EXPECT_STREQ(to_string(ErrorKind::kOverloaded), "overloaded");
  EXPECT_STREQ(store::to_string(store::Source::kUncached), "");
  EXPECT_STREQ(store::to_string(store::Source::kStale), "STALE");
  EXPECT_STREQ(store::to_string(store::HealthProbe::State::kUnknown), "unknown");
  EXPECT_STREQ(store::to_string(store::OrderStatus::kCancelled), "cancelled");
  EXPECT_STREQ(store::to_string(store::OrderPhase::kUnmarking), "unmarking");
  EXPECT_STREQ(cache::to_string(cache::BreakerState::kHalfOpen), "half_open");
  EXPECT_STREQ(cache::to_string(cache::CacheOutcome::kBypass), "BYPASS");
}

}  // namespace
}  // namespace storefront
