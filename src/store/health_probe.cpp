#include "store/health_probe.hpp"

#include <spdlog/spdlog.h>

#include "common/enum_names.hpp"

namespace storefront::store {

namespace {

constexpr auto kStateNames =
    enum_names<HealthProbe::State, HealthProbe::State::kDown>(std::array{"unknown", "up", "down"});

}  // namespace

const char* to_string(HealthProbe::State state) {
  return kStateNames.name(state, "unknown");
}

HealthProbe::HealthProbe(DeploymentStore& store, std::chrono::milliseconds interval,
                         std::chrono::milliseconds timeout, std::function<void(State)> after_probe)
    : store_(store),
      timeout_(timeout),
      after_probe_(std::move(after_probe)),
      loop_(interval, [this] { probe(); }) {}

void HealthProbe::probe() {
  const auto status = store_.ping(Deadline::after(timeout_));
  const State now = status ? State::kUp : State::kDown;
  const State before = mongo_.exchange(now);
  if (before != now && now == State::kDown) {
    spdlog::warn("mongo health probe: down ({})", status.error().message);
  } else if (before == State::kDown && now == State::kUp) {
    spdlog::info("mongo health probe: up again");
  }
  if (after_probe_) after_probe_(now);
}

}  // namespace storefront::store
