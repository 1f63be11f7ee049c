#include "cache/read_through.hpp"

#include <boost/asio/dispatch.hpp>
#include <memory>

namespace storefront::cache {

store::Source to_source(CacheOutcome outcome) {
  switch (outcome) {
    case CacheOutcome::kHit:
      return store::Source::kHit;
    case CacheOutcome::kMiss:
      return store::Source::kMiss;
    case CacheOutcome::kBypass:
      return store::Source::kBypass;
    case CacheOutcome::kStale:
      return store::Source::kStale;
  }
  return store::Source::kBypass;
}

namespace {

store::Served served(const CachedResponse& response) {
  return store::Served{response.body, to_source(response.outcome)};
}

}  // namespace

void ReadThrough::read(const store::Call& call, CacheKey key, LoadOptions options, Load load,
                       store::Done<store::Served> done) {
  // An L1 hit is answered right here on the I/O thread: no worker hop, no Redis.
  if (auto hit = cache_.lookup_l1(key)) return done(served(*hit));
  // So is a Redis hit, read without blocking; anything else goes to a worker.
  if (!call.executor || !cache_.async_reads()) {
    return load_on_worker(call, std::move(key), options, std::move(load), std::move(done));
  }
  // The non-blocking read must run on the request's I/O thread, and a caller
  // may be elsewhere: an order prices its next item from the worker that
  // loaded the previous one. dispatch() runs it inline when already there.
  boost::asio::dispatch(call.executor, [this, call, key = std::move(key), options,
                                        load = std::move(load), done = std::move(done)]() mutable {
    lookup_on_io_thread(call, std::move(key), options, std::move(load), std::move(done));
  });
}

void ReadThrough::lookup_on_io_thread(const store::Call& call, CacheKey key, LoadOptions options,
                                      Load load, store::Done<store::Served> done) {
  auto lookup_key = key;
  cache_.lookup_async(lookup_key, call.deadline, call.executor,
                      [this, call, key = std::move(key), options, load = std::move(load),
                       done = std::move(done)](const ResponseCache::AsyncLookup& found) mutable {
                        if (found.hit) return done(served(*found.hit));
                        options.skip_redis = found.skip_redis;
                        load_on_worker(call, std::move(key), options, std::move(load),
                                       std::move(done));
                      });
}

void ReadThrough::load_on_worker(const store::Call& call, CacheKey key, LoadOptions options,
                                 Load load, store::Done<store::Served> done) {
  store::run_blocking<store::Served>(offloader_, call, std::move(done),
                                     [this, call, key = std::move(key), options,
                                      load = std::move(load)]() -> Result<store::Served> {
                                       auto response = cache_.get_or_load(
                                           key, options, call.deadline,
                                           [&](Deadline deadline) { return load(deadline); });
                                       if (!response) return response.error();
                                       return served(response.value());
                                     });
}

}  // namespace storefront::cache
