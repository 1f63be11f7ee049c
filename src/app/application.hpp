#pragma once

#include "app/config.hpp"

namespace storefront::app {

// Wires the layers together and serves until SIGTERM/SIGINT, then shuts
// down gracefully. Returns the process exit code.
int serve(const Config& config, const std::string& binary_dir);

// `storefront fill`: idempotent bulk fill of {age: i, name: "ly"+i}.
int fill(const Config& config, const std::string& collection, std::int64_t count);

}  // namespace storefront::app
