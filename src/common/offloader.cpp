#include "common/offloader.hpp"

#include <memory>

namespace storefront {

bool Offloader::admit() {
  const std::size_t before = in_flight_.fetch_add(1, std::memory_order_acq_rel);
  if (max_in_flight_ == 0 || before < max_in_flight_) return true;
  release();
  return false;
}

void Offloader::run(Deadline deadline, Task task, Rejected rejected) {
  if (!admit()) {
    return rejected(Error{ErrorKind::kOverloaded, "concurrency limit reached"});
  }
  // Shared so the rejection can still be reported after the pool refused the
  // task (try_submit drops what it was given).
  auto on_reject = std::make_shared<Rejected>(std::move(rejected));
  const bool queued = pool_.try_submit([this, deadline, task = std::move(task), on_reject] {
    // Counted until the task (and the response it produces) is done.
    struct Release {
      Offloader* self;
      ~Release() { self->release(); }
    } release_on_exit{this};
    if (deadline.expired()) {
      // Waited in the queue past its deadline: answering now helps nobody.
      return (*on_reject)(Error{ErrorKind::kOverloaded, "deadline expired in the worker queue"});
    }
    task();
  });
  if (!queued) {
    release();
    if (on_rejected_) on_rejected_();
    (*on_reject)(Error{ErrorKind::kOverloaded, "worker queue full"});
  }
}

}  // namespace storefront
