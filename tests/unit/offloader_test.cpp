#include "common/offloader.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace storefront {
namespace {

using namespace std::chrono_literals;

Deadline far() {
  return Deadline::after(60s);
}

TEST(Offloader, ShedsAtOnceWhenTheLimitIsInFlight) {
  WorkerPool pool(2, 100);
  Offloader offloader(pool, {}, 3);
  std::promise<void> open;
  auto gate = open.get_future().share();
  std::atomic<int> ran{0};
  std::vector<Error> refused;
  for (int i = 0; i < 5; ++i) {
    offloader.run(
        far(),
        [&, gate] {
          gate.wait();
          ++ran;
        },
        [&](const Error& e) { refused.push_back(e); });
  }
  // 2 running + 1 queued = 3 in flight; the 4th and 5th were refused on this thread.
  ASSERT_EQ(refused.size(), 2u);
  for (const auto& e : refused) {
    EXPECT_EQ(e.kind, ErrorKind::kOverloaded);
    EXPECT_EQ(e.message, "concurrency limit reached");
  }
  EXPECT_EQ(offloader.in_flight(), 3u);
  open.set_value();
  pool.stop();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(offloader.in_flight(), 0u);
}

TEST(Offloader, AdmitsAgainOnceTasksFinish) {
  WorkerPool pool(1, 100);
  Offloader offloader(pool, {}, 1);
  for (int i = 0; i < 20; ++i) {
    std::promise<bool> done;
    offloader.run(
        far(), [&] { done.set_value(true); }, [&](const Error&) { done.set_value(false); });
    EXPECT_TRUE(done.get_future().get()) << i;
    // The slot is given back after the task returns, on the worker: wait for it.
    for (int spin = 0; offloader.in_flight() != 0 && spin < 1000; ++spin) {
      std::this_thread::sleep_for(1ms);
    }
  }
  EXPECT_EQ(offloader.in_flight(), 0u);
}

TEST(Offloader, ZeroMeansOnlyTheQueueBounds) {
  WorkerPool pool(1, 2);
  int full = 0;
  Offloader offloader(
      pool, [&] { ++full; }, 0);
  std::promise<void> open;
  auto gate = open.get_future().share();
  std::promise<void> started;
  offloader.run(
      far(),
      [&, gate] {
        started.set_value();
        gate.wait();
      },
      [](const Error&) {});
  started.get_future().wait();
  std::vector<std::string> refused;
  for (int i = 0; i < 4; ++i) {
    offloader.run(
        far(), [gate] { gate.wait(); }, [&](const Error& e) { refused.push_back(e.message); });
  }
  EXPECT_EQ(refused, (std::vector<std::string>{"worker queue full", "worker queue full"}));
  EXPECT_EQ(full, 2);
  open.set_value();
  pool.stop();
  EXPECT_EQ(offloader.in_flight(), 0u);
}

// Many threads submitting at once: the number running at the same time never
// exceeds the limit, and every task is either run or refused, exactly once.
TEST(Offloader, NeverExceedsTheLimitUnderConcurrentSubmits) {
  constexpr std::size_t kLimit = 4;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  WorkerPool pool(8, 10000);
  Offloader offloader(pool, {}, kLimit);
  std::atomic<int> running{0}, peak{0}, ran{0}, refused{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        offloader.run(
            far(),
            [&] {
              const int now = ++running;
              int seen = peak.load();
              while (now > seen && !peak.compare_exchange_weak(seen, now)) {
              }
              std::this_thread::yield();
              --running;
              ++ran;
            },
            [&](const Error&) { ++refused; });
      }
    });
  }
  for (auto& s : submitters) s.join();
  pool.stop();
  EXPECT_EQ(ran.load() + refused.load(), kThreads * kPerThread);
  EXPECT_GT(ran.load(), 0);
  EXPECT_LE(peak.load(), static_cast<int>(kLimit));
  EXPECT_EQ(offloader.in_flight(), 0u);
}

}  // namespace
}  // namespace storefront
