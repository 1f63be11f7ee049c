#include "common/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

namespace storefront {
namespace {

TEST(WorkerPool, RunsTasksOnItsThreads) {
  WorkerPool pool(2, 16);
  std::atomic<int> done{0};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pool.try_submit([&] { ++done; }));
  pool.stop();
  EXPECT_EQ(done.load(), 10);
}

TEST(WorkerPool, RejectsWhenQueueIsFull) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_submit([&, gate] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  EXPECT_EQ(pool.in_use(), 1u);
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.try_submit([] {}));
  release.set_value();
  pool.stop();
  EXPECT_FALSE(pool.try_submit([] {}));
}

}  // namespace
}  // namespace storefront
