#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace storefront {

// A fixed set of threads for blocking driver calls, with a bounded queue so a
// slow dependency turns into fast rejections instead of unbounded memory.
class WorkerPool {
 public:
  using Task = std::function<void()>;

  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping; the task is dropped.
  bool try_submit(Task task);

  // Finishes queued tasks, then joins the threads. Idempotent.
  void stop();

  std::size_t in_use() const;
  std::size_t queued() const;
  std::size_t threads() const { return threads_.size(); }

 private:
  void run();

  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace storefront
