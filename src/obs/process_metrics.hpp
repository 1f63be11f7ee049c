#pragma once

#include <string_view>

#include "obs/metrics.hpp"

namespace storefront::obs {

// process_* metrics read from /proc at scrape time, plus storefront_build_info.
void register_process_metrics(Registry& registry, std::string_view version);

}  // namespace storefront::obs
