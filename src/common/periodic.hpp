#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace storefront {

// Runs `tick` on a thread of its own at start() and then every `interval`
// until stop(); stop() wakes a waiting thread at once and joins it.
class Periodic {
 public:
  Periodic(std::chrono::milliseconds interval, std::function<void()> tick);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  void start();
  void stop();

 private:
  void loop();

  const std::chrono::milliseconds interval_;
  const std::function<void()> tick_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace storefront
