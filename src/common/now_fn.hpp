#pragma once

#include <functional>

#include "common/deadline.hpp"

namespace storefront {

// The clock a component reads, injectable so tests can move time by hand.
// Empty: Clock::now().
using NowFn = std::function<Clock::time_point()>;

}  // namespace storefront
