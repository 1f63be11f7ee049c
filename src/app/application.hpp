#pragma once

#include "app/config.hpp"
#include "app/fill.hpp"
#include "obs/metrics.hpp"
#include "store/mongo_store.hpp"

namespace storefront::app {

// The driver options of every MongoStore this process opens.
store::MongoOptions mongo_options(const Config& config);

// What a one-shot command (fill, audit) runs on: logging without an access
// log, the driver, and a pool whose socket timeout allows a long bulk call.
class CommandMongo {
 public:
  explicit CommandMongo(const Config& config);
  store::MongoPool& pool() { return pool_; }

 private:
  [[maybe_unused]] bool logging_;  // first: set up before the driver logs
  store::MongoDriver driver_;
  obs::Registry registry_;
  store::MongoPool pool_;
};

// Wires the layers together and serves until SIGTERM/SIGINT, then shuts
// down gracefully. Returns the process exit code.
int serve(const Config& config, const std::string& binary_dir);

// `storefront fill`: idempotent bulk fill of {age: i, name: "ly"+i} and/or
// of generated products with their media files.
int fill(const Config& config, const FillArgs& args);

}  // namespace storefront::app
