#include "common/offloader.hpp"

#include <memory>

namespace storefront {

void Offloader::run(Deadline deadline, Task task, Rejected rejected) {
  // Shared so the rejection can still be reported after the pool refused the
  // task (try_submit drops what it was given).
  auto on_reject = std::make_shared<Rejected>(std::move(rejected));
  const bool queued = pool_.try_submit([deadline, task = std::move(task), on_reject] {
    if (deadline.expired()) {
      // Waited in the queue past its deadline: answering now helps nobody.
      return (*on_reject)(Error{ErrorKind::kOverloaded, "deadline expired in the worker queue"});
    }
    task();
  });
  if (!queued) {
    if (on_rejected_) on_rejected_();
    (*on_reject)(Error{ErrorKind::kOverloaded, "worker queue full"});
  }
}

}  // namespace storefront
