#pragma once

#include <functional>

#include "common/deadline.hpp"
#include "common/result.hpp"
#include "common/worker_pool.hpp"

namespace storefront {

// Runs blocking work (driver calls) on the worker pool within a request's
// deadline. Shared by the API and the store/cache read paths, so a full
// queue is reported the same way wherever work is handed off.
class Offloader {
 public:
  using Task = std::function<void()>;
  using Rejected = std::function<void(const Error&)>;

  // `on_rejected` runs once per task refused because the queue was full
  // (a metric); may be empty.
  explicit Offloader(WorkerPool& pool, std::function<void()> on_rejected = {})
      : pool_(pool), on_rejected_(std::move(on_rejected)) {}

  // `task` on a worker; or `rejected(kOverloaded)` instead, at once when the
  // queue is full, or on the worker when the task waited past `deadline`.
  void run(Deadline deadline, Task task, Rejected rejected);

  std::size_t queued() const { return pool_.queued(); }

 private:
  WorkerPool& pool_;
  std::function<void()> on_rejected_;
};

}  // namespace storefront
