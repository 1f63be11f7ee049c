#pragma once

#include "app/config.hpp"
#include "store/mongo_store.hpp"

namespace storefront::app {

// The driver options of every MongoStore this process opens.
store::MongoOptions mongo_options(const Config& config);

// Wires the layers together and serves until SIGTERM/SIGINT, then shuts
// down gracefully. Returns the process exit code.
int serve(const Config& config, const std::string& binary_dir);

// `storefront fill`: idempotent bulk fill of {age: i, name: "ly"+i}.
int fill(const Config& config, const std::string& collection, std::int64_t count);

}  // namespace storefront::app
