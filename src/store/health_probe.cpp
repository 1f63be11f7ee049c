#include "store/health_probe.hpp"

#include <spdlog/spdlog.h>

namespace storefront::store {

const char* to_string(HealthProbe::State state) {
  switch (state) {
    case HealthProbe::State::kUnknown:
      return "unknown";
    case HealthProbe::State::kUp:
      return "up";
    case HealthProbe::State::kDown:
      return "down";
  }
  return "unknown";
}

HealthProbe::HealthProbe(DeploymentStore& store, std::chrono::milliseconds interval,
                         std::chrono::milliseconds timeout, std::function<void(State)> after_probe)
    : store_(store), interval_(interval), timeout_(timeout), after_probe_(std::move(after_probe)) {}

HealthProbe::~HealthProbe() {
  stop();
}

void HealthProbe::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void HealthProbe::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthProbe::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const auto status = store_.ping(Deadline::after(timeout_));
    const State now = status ? State::kUp : State::kDown;
    const State before = mongo_.exchange(now);
    if (before != now && now == State::kDown) {
      spdlog::warn("mongo health probe: down ({})", status.error().message);
    } else if (before == State::kDown && now == State::kUp) {
      spdlog::info("mongo health probe: up again");
    }
    if (after_probe_) after_probe_(now);
    lock.lock();
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
  }
}

}  // namespace storefront::store
