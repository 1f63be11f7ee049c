#pragma once

#include <functional>
#include <string>

#include "cache/response_cache.hpp"
#include "common/offloader.hpp"
#include "store/async.hpp"

namespace storefront::cache {

// The cached read path every caching decorator shares: an L1 hit and a
// Redis hit (non-blocking, on the request's I/O thread) answer without a
// worker; anything else runs get_or_load, and with it the store's blocking
// loader, on a worker. `read` may be called from any thread; `done` runs on
// the I/O thread or on a worker.
class ReadThrough {
 public:
  using Load = std::function<Result<std::string>(Deadline)>;

  ReadThrough(ResponseCache& cache, Offloader& offloader) : cache_(cache), offloader_(offloader) {}

  void read(const store::Call& call, CacheKey key, LoadOptions options, Load load,
            store::Done<store::Served> done);

  ResponseCache& cache() { return cache_; }
  Offloader& offloader() { return offloader_; }

 private:
  void lookup_on_io_thread(const store::Call& call, CacheKey key, LoadOptions options, Load load,
                           store::Done<store::Served> done);
  void load_on_worker(const store::Call& call, CacheKey key, LoadOptions options, Load load,
                      store::Done<store::Served> done);

  ResponseCache& cache_;
  Offloader& offloader_;
};

store::Source to_source(CacheOutcome outcome);

}  // namespace storefront::cache
