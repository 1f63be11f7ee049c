#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "cache/cache_config.hpp"
#include "cache/cache_status.hpp"
#include "cache/circuit_breaker.hpp"
#include "cache/lru_cache.hpp"
#include "common/deadline.hpp"
#include "common/function_ref.hpp"
#include "common/result.hpp"
#include "redis/async_reader.hpp"
#include "redis/client.hpp"

namespace storefront::obs {
class Counter;
class Gauge;
class Registry;
}  // namespace storefront::obs

namespace storefront::cache {

// What the HTTP layer puts in X-Cache. kStale: an expired entry served
// because the loader failed (stale-if-error).
enum class CacheOutcome { kHit, kMiss, kBypass, kStale };
const char* to_string(CacheOutcome outcome);  // "HIT" | "MISS" | "BYPASS" | "STALE"

// A cached response's Redis key and its invalidation scope.
struct CacheKey {
  std::string scope;  // "<db>.<collection>": the unit of invalidation
  std::string key;    // "storefront:v1:{<db>.<collection>}:users"
};

// "<db>.<collection>"
std::string cache_scope(std::string_view db, std::string_view collection);
// The key of GET /{collection}/users. The {hash tag} puts every key of one
// collection (and its generation key) on one cluster slot.
CacheKey users_list_key(std::string_view db, std::string_view collection);
// "storefront:v1:{<scope>}:gen": the collection's generation counter in Redis.
std::string generation_key(std::string_view scope);

struct CachedResponse {
  std::shared_ptr<const std::string> body;  // the stored bytes, never null on success
  CacheOutcome outcome = CacheOutcome::kMiss;
  bool from_l1 = false;  // a HIT served from the in-process L1
};

// How one get_or_load stores and serves its entry.
struct LoadOptions {
  std::chrono::seconds ttl{0};  // 0: the configured CACHE_TTL_SECONDS
  // Stale-if-error: the entry stays in Redis this much longer than `ttl`,
  // and is served (kStale) when the loader fails as unavailable or timed out.
  std::chrono::seconds stale{0};
  // Redis just failed this request (lookup_async): load without it (BYPASS)
  // rather than wait for another timeout.
  bool skip_redis = false;
};

// The response cache the handlers use. Thread-safe; blocking (worker threads).
//
// get_or_load: L1 (if enabled) -> one MGET of {generation, entry} in Redis
// (unless the breaker is open) -> on a miss the loader, whose result is
// returned at once and stored in Redis by a background writer. Concurrent
// calls for one key share one Redis lookup and one loader call. Redis
// failures never fail the call: the loader runs instead (BYPASS).
//
// Invalidation: see docs/cache.md. In short, a per-scope generation in-process
// (L1 entries and in-flight loads of an older generation are not reused or
// stored) plus a generation counter in Redis that every stored entry is
// stamped with, so an entry loaded before a write on any instance is ignored
// after that write's invalidate().
class ResponseCache final : public CacheStatusSource {
 public:
  using Loader = FunctionRef<Result<std::string>(Deadline)>;

  // `client` may be null (no Redis configured): get_or_load then only
  // coalesces concurrent loads and reports BYPASS; invalidate is in-process
  // only. `registry` must outlive the cache; `now` is for tests (breaker, L1).
  ResponseCache(std::unique_ptr<redis::RedisClient> client, CacheSettings settings,
                obs::Registry& registry, const NowFn& now = {});
  ~ResponseCache() override;
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The cached body for `key`, or the loader's. An error is only ever the
  // loader's own (or kTimeout when the deadline passes while waiting for
  // another caller's load of the same key).
  // `skip_redis`: Redis just failed this request (lookup_async): load
  // without it (BYPASS) rather than wait for another timeout.
  Result<CachedResponse> get_or_load(const CacheKey& key, const LoadOptions& options,
                                     Deadline deadline, Loader loader);
  Result<CachedResponse> get_or_load(const CacheKey& key, std::chrono::seconds ttl,
                                     Deadline deadline, Loader loader, bool skip_redis = false) {
    return get_or_load(key, LoadOptions{ttl, std::chrono::seconds(0), skip_redis}, deadline,
                       loader);
  }
  Result<CachedResponse> get_or_load(const CacheKey& key, Deadline deadline, Loader loader,
                                     bool skip_redis = false) {
    return get_or_load(key, settings_.ttl, deadline, loader, skip_redis);
  }

  // The hit path without a worker thread: one non-blocking MGET on the I/O
  // thread running `executor` (the calling thread). `done` runs on it with
  // the hit, or without one when the caller must call get_or_load on a worker
  // (a miss, a stale entry, a cluster redirect; `skip_redis` set when Redis
  // failed, which counts towards the breaker). Only while async_reads() says so.
  struct AsyncLookup {
    std::optional<CachedResponse> hit;
    bool skip_redis = false;
  };
  using AsyncDone = std::function<void(const AsyncLookup&)>;
  bool async_reads() const;  // CACHE_ASYNC_READS and the breaker is closed
  void lookup_async(const CacheKey& key, Deadline deadline,
                    const boost::asio::any_io_executor& executor, AsyncDone done);

  // The in-process L1 entry for `key`, if L1 is on and holds a current one.
  // Never blocks on I/O (one mutex), so callers may use it on an I/O thread
  // and skip the hop to a worker.
  std::optional<CachedResponse> lookup_l1(const CacheKey& key);

  // Call after a successful write to the collection. Tried even when the
  // breaker is open (a write is rarer than a read and the entry must go), with
  // the full command timeout even if `deadline` is nearly spent; one Redis
  // round trip when Redis is down. The Status is for logging only: the write
  // succeeded and must not be reported as failed.
  Status invalidate(std::string_view db, std::string_view collection, Deadline deadline);
  Status invalidate_scope(std::string_view scope, Deadline deadline);

  CacheStatus status() const override;
  const CacheSettings& settings() const { return settings_; }

  // Test hook: blocks until the background writer has no pending work.
  void flush_writes();

 private:
  struct Flight;
  struct Write {
    std::string key;
    std::string scope;
    std::uint64_t generation;
    std::string redis_generation;
    std::shared_ptr<const std::string> body;
    std::chrono::seconds ttl;
    std::chrono::seconds stale;
    std::shared_ptr<Flight> flight;
  };

  std::uint64_t generation_locked(std::string_view scope) const;  // mutex_ held
  std::uint64_t generation(std::string_view scope) const;
  Result<CachedResponse> lead(const CacheKey& key, const LoadOptions& options, Deadline deadline,
                              Loader loader, const std::shared_ptr<Flight>& flight);
  // The body of a {generation, entry} MGET reply, if the entry is current
  // and fresh. A current entry past its freshness goes to `stale` instead.
  std::shared_ptr<const std::string> current_body(const CacheKey& key, redis::Values& values,
                                                  std::uint64_t local_generation,
                                                  std::string& redis_generation,
                                                  std::shared_ptr<const std::string>* stale);
  void finish_flight(const std::string& key, const std::shared_ptr<Flight>& flight);
  Result<std::string> call_loader(const CacheKey& key, Deadline deadline, Loader loader,
                                  const std::shared_ptr<Flight>& flight);
  bool store_in_background(const CacheKey& key, const LoadOptions& options,
                           std::string redis_generation,
                           const std::shared_ptr<const std::string>& body,
                           const std::shared_ptr<Flight>& flight);
  struct AsyncFlight;
  using AsyncFlightKey = std::pair<const void*, std::string>;  // (I/O context, key)
  void finish_async(const AsyncFlightKey& flight_key, const std::shared_ptr<AsyncFlight>& flight,
                    const AsyncLookup& result);
  void count(const Result<CachedResponse>& result);
  void writer_loop();

  const std::unique_ptr<redis::RedisClient> client_;
  const CacheSettings settings_;
  obs::Counter& hits_;
  obs::Counter& misses_;
  obs::Counter& errors_;
  obs::Counter& stale_;
  obs::Counter& bypass_;
  obs::Gauge& breaker_gauge_;
  CircuitBreaker breaker_;
  std::unique_ptr<LruCache> l1_;
  std::unique_ptr<redis::AsyncReader> reader_;  // null: no non-blocking reads
  std::mutex async_mutex_;
  std::map<AsyncFlightKey, std::shared_ptr<AsyncFlight>> async_flights_;

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mutex_;  // generations_, flights_
  std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>> generations_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;

  std::mutex write_mutex_;
  std::condition_variable write_cv_;
  std::condition_variable write_idle_cv_;
  std::deque<Write> writes_;
  bool writing_ = false;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace storefront::cache
