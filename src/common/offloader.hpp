#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

#include "common/deadline.hpp"
#include "common/result.hpp"
#include "common/worker_pool.hpp"

namespace storefront {

// Runs blocking work (driver calls) on the worker pool within a request's
// deadline. Shared by the API and the store/cache read paths, so a full
// queue is reported the same way wherever work is handed off.
//
// It is also the per-instance concurrency limit of the database-bound routes:
// every task handed to run() counts as in flight until it has finished on a
// worker. When `max_in_flight` are, a new task is refused at once
// (kOverloaded, answered 503 + Retry-After by the API) instead of joining a
// queue whose wait would exceed any useful latency. A route opts in by doing
// its blocking work through run() (store::run_blocking, Responder::offload).
class Offloader {
 public:
  using Task = std::function<void()>;
  using Rejected = std::function<void(const Error&)>;

  // `on_rejected` runs once per task refused because the queue was full
  // (a metric); may be empty. `max_in_flight` 0: no limit but the queue's.
  explicit Offloader(WorkerPool& pool, std::function<void()> on_rejected = {},
                     std::size_t max_in_flight = 0)
      : pool_(pool), on_rejected_(std::move(on_rejected)), max_in_flight_(max_in_flight) {}

  // `task` on a worker; or `rejected(kOverloaded)` instead: at once when the
  // limit is reached or the queue is full, or on the worker when the task
  // waited past `deadline`.
  void run(Deadline deadline, Task task, Rejected rejected);

  std::size_t queued() const { return pool_.queued(); }
  // Tasks accepted and not finished yet (queued or running).
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  std::size_t max_in_flight() const { return max_in_flight_; }

 private:
  bool admit();
  void release() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }

  WorkerPool& pool_;
  std::function<void()> on_rejected_;
  const std::size_t max_in_flight_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace storefront
