#pragma once

#include <atomic>
#include <chrono>
#include <functional>

#include "common/periodic.hpp"
#include "store/deployment_store.hpp"

namespace storefront::store {

// Pings the database in the background so that readiness can be answered
// from state on an I/O thread: a database outage must not make every
// instance fail its check at once (the gateway would have nothing left to
// serve the cached catalog from). Also keeps storefront_mongo_up current.
class HealthProbe {
 public:
  enum class State { kUnknown, kUp, kDown };

  // Pings every `interval`, each bounded by `timeout`. start() begins.
  // `after_probe` (optional) runs on the probe thread after every ping, e.g.
  // to export the states as metrics.
  HealthProbe(DeploymentStore& store, std::chrono::milliseconds interval,
              std::chrono::milliseconds timeout, std::function<void(State)> after_probe = {});
  HealthProbe(const HealthProbe&) = delete;
  HealthProbe& operator=(const HealthProbe&) = delete;

  void start() { loop_.start(); }
  void stop() { loop_.stop(); }
  State mongo() const { return mongo_.load(std::memory_order_relaxed); }

 private:
  void probe();

  DeploymentStore& store_;
  const std::chrono::milliseconds timeout_;
  const std::function<void(State)> after_probe_;
  std::atomic<State> mongo_{State::kUnknown};
  Periodic loop_;  // last: stopped before the rest goes
};

const char* to_string(HealthProbe::State state);  // "unknown" | "up" | "down"

}  // namespace storefront::store
