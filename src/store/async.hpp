#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/deadline.hpp"
#include "common/offloader.hpp"
#include "common/result.hpp"

// The asynchronous face of the stores that the API calls. A read may complete
// on the calling I/O thread (a cache hit) or on a worker (a database call);
// the caching decorators in src/cache implement the same interfaces as the
// direct ones here, so a read walks one way: api -> cache -> store.
namespace storefront::store {

// Where an answer came from, for X-Cache. kUncached: no cache configured.
enum class Source { kUncached, kHit, kMiss, kBypass, kStale };
const char* to_string(Source source);  // "" | "HIT" | "MISS" | "BYPASS" | "STALE"

// A serialized JSON answer, shareable with a cache entry without copying.
struct Served {
  std::shared_ptr<const std::string> json;
  Source source = Source::kUncached;
};

// What one request brings to a store call.
struct Call {
  Deadline deadline;
  // The request's I/O thread: non-blocking work (a Redis hit) completes on
  // it. Empty: everything goes to a worker.
  boost::asio::any_io_executor executor;
};

template <class T>
using Done = std::function<void(Result<T>)>;

// Runs `blocking()` (returning Result<T>) on a worker and hands its result to
// `done`; a refused task reports kOverloaded.
template <class T, class F>
void run_blocking(Offloader& offloader, const Call& call, Done<T> done, F blocking) {
  auto shared = std::make_shared<Done<T>>(std::move(done));
  offloader.run(
      call.deadline, [shared, blocking = std::move(blocking)]() mutable { (*shared)(blocking()); },
      [shared](const Error& error) { (*shared)(error); });
}

inline Served uncached(std::string json) {
  return Served{std::make_shared<const std::string>(std::move(json)), Source::kUncached};
}

}  // namespace storefront::store
