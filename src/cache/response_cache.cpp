#include "cache/response_cache.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <charconv>

#include "common/enum_names.hpp"
#include "obs/metrics.hpp"
#include "redis/key_slot.hpp"

namespace storefront::cache {
namespace {

constexpr auto kCacheOutcomeNames =
    enum_names<CacheOutcome, CacheOutcome::kStale>(std::array{"HIT", "MISS", "BYPASS", "STALE"});

constexpr std::string_view kPrefix = "storefront:v1:";
// Writes waiting for the background writer; beyond this they are dropped
// (the entry is simply not cached; the next miss loads it again).
constexpr std::size_t kMaxPendingWrites = 1024;
// Budget of one background SET or an invalidation (the client caps it at its
// command timeout).
constexpr std::chrono::milliseconds kWriteBudget{1000};

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Stored value: "<body>\n<redis generation> <fresh until, Unix ms>". The
// stamp goes last so that removing it is a resize, not a move of the whole
// body; a stamp has no '\n', so the last one is the separator even if the
// body has some. The freshness is wall-clock time, shared by all instances;
// Redis keeps the entry for the stale-if-error window beyond it.
std::string stamp(std::string_view redis_generation, std::int64_t fresh_until_ms,
                  std::string_view body) {
  std::string value;
  value.reserve(body.size() + 32);
  value.append(body).push_back('\n');
  fmt::format_to(std::back_inserter(value), "{} {}", redis_generation, fresh_until_ms);
  return value;
}

// The body if `value` carries `redis_generation`, else nullptr (stale or
// foreign); `fresh` says whether it is still within its TTL.
std::shared_ptr<const std::string> unstamp(std::string&& value, std::string_view redis_generation,
                                           bool& fresh) {
  auto newline = value.rfind('\n');
  if (newline == std::string::npos) return nullptr;
  std::string_view tail = std::string_view(value).substr(newline + 1);
  const auto space = tail.find(' ');
  if (tail.substr(0, space) != redis_generation) return nullptr;
  fresh = true;
  if (space != std::string_view::npos) {
    std::int64_t until = 0;
    const auto digits = tail.substr(space + 1);
    std::from_chars(digits.data(), digits.data() + digits.size(), until);
    fresh = wall_ms() < until;
  }
  value.resize(newline);
  return std::make_shared<const std::string>(std::move(value));
}

// Failures for which an expired entry is better than an error.
bool stale_helps(const Error& error) {
  return error.kind == ErrorKind::kUnavailable || error.kind == ErrorKind::kTimeout;
}

}  // namespace

struct ResponseCache::Flight {
  explicit Flight(std::uint64_t gen) : generation(gen), future(promise.get_future().share()) {}
  const std::uint64_t generation;
  std::promise<Result<CachedResponse>> promise;
  std::shared_future<Result<CachedResponse>> future;
};

const char* to_string(CacheOutcome outcome) {
  return kCacheOutcomeNames.name(outcome, "BYPASS");
}

std::string cache_scope(std::string_view db, std::string_view collection) {
  return fmt::format("{}.{}", db, collection);
}

CacheKey users_list_key(std::string_view db, std::string_view collection) {
  auto scope = cache_scope(db, collection);
  auto key = fmt::format("{}{{{}}}:users", kPrefix, scope);
  return CacheKey{std::move(scope), std::move(key)};
}

std::string generation_key(std::string_view scope) {
  return fmt::format("{}{{{}}}:gen", kPrefix, scope);
}

ResponseCache::ResponseCache(std::unique_ptr<redis::RedisClient> client, CacheSettings settings,
                             obs::Registry& registry, const NowFn& now)
    : client_(std::move(client)),
      settings_(settings),
      hits_(registry
                .counter("storefront_cache_hits_total",
                         "Cached responses served from the cache (L1 or Redis)")
                .with({})),
      misses_(registry
                  .counter("storefront_cache_misses_total",
                           "Responses loaded from the database and stored in the cache")
                  .with({})),
      errors_(registry
                  .counter("storefront_cache_errors_total",
                           "Redis commands of the response cache that failed")
                  .with({})),
      stale_(registry
                 .counter("storefront_cache_stale_total",
                          "Expired entries served because the database failed (stale-if-error)")
                 .with({})),
      bypass_(registry
                  .counter("storefront_cache_bypass_total",
                           "Responses loaded without the cache (breaker open or Redis failed)")
                  .with({})),
      breaker_gauge_(registry
                         .gauge("storefront_cache_breaker_state",
                                "Redis circuit breaker: 0 closed, 1 half-open, 2 open")
                         .with({})),
      breaker_(CircuitBreaker::Options{settings.breaker_failures, settings.breaker_cooldown}, now,
               [this, previous = BreakerState::kClosed](BreakerState state) mutable {
                 // Called with the breaker's lock held: transitions are serialized.
                 breaker_gauge_.set(static_cast<double>(state));
                 // Logged once per outage, not on every failed half-open probe.
                 if (state == BreakerState::kOpen && previous == BreakerState::kClosed) {
                   spdlog::warn(
                       "redis cache: circuit breaker open, bypassing Redis (probe every "
                       "{} ms)",
                       settings_.breaker_cooldown.count());
                 } else if (state == BreakerState::kClosed && previous != BreakerState::kClosed) {
                   spdlog::info("redis cache: circuit breaker closed, Redis is used again");
                 }
                 previous = state;
               }) {
  if (settings_.l1_size > 0) {
    l1_ = std::make_unique<LruCache>(settings_.l1_size, settings_.l1_ttl, now);
  }
  if (client_ && settings_.async_reads) reader_ = redis::make_async_reader(*client_, registry);
  if (client_) writer_ = std::thread([this] { writer_loop(); });
}

ResponseCache::~ResponseCache() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(write_mutex_);
      stopping_ = true;
    }
    write_cv_.notify_all();
    writer_.join();
  }
}

std::uint64_t ResponseCache::generation_locked(std::string_view scope) const {
  auto it = generations_.find(scope);
  return it == generations_.end() ? 0 : it->second;
}

std::uint64_t ResponseCache::generation(std::string_view scope) const {
  std::lock_guard lock(mutex_);
  return generation_locked(scope);
}

void ResponseCache::count(const Result<CachedResponse>& result) {
  if (!result || !client_) return;
  switch (result.value().outcome) {
    case CacheOutcome::kHit:
      hits_.inc();
      break;
    case CacheOutcome::kMiss:
      misses_.inc();
      break;
    case CacheOutcome::kBypass:
      bypass_.inc();
      break;
    case CacheOutcome::kStale:
      stale_.inc();
      break;
  }
}

std::optional<CachedResponse> ResponseCache::lookup_l1(const CacheKey& key) {
  if (!l1_) return std::nullopt;
  auto body = l1_->get(key.key, generation(key.scope));
  if (!body) return std::nullopt;
  hits_.inc();
  return CachedResponse{std::move(body), CacheOutcome::kHit, true};
}

Result<CachedResponse> ResponseCache::get_or_load(const CacheKey& key, const LoadOptions& given,
                                                  Deadline deadline, Loader loader) {
  LoadOptions options = given;
  if (options.ttl.count() == 0) options.ttl = settings_.ttl;
  if (auto hit = lookup_l1(key)) return std::move(*hit);
  while (true) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard lock(mutex_);
      auto gen = generation_locked(key.scope);
      auto& slot = flights_[key.key];
      // A flight that started before the latest invalidation may carry data
      // older than the write: do not join it, start a new one.
      if (!slot || slot->generation != gen) {
        slot = std::make_shared<Flight>(gen);
        leader = true;
      }
      flight = slot;
    }
    if (leader) {
      auto result = lead(key, options, deadline, loader, flight);
      count(result);
      return result;
    }
    // A load that already finished (its Redis write still pending) serves
    // this request from memory: for it, that is a hit.
    const bool finished =
        flight->future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    if (!finished && flight->future.wait_until(deadline.at()) != std::future_status::ready) {
      return Error{ErrorKind::kTimeout,
                   "deadline passed while waiting for a concurrent load of the same response"};
    }
    Result<CachedResponse> result = flight->future.get();
    if (finished && result && result->outcome == CacheOutcome::kMiss) {
      result->outcome = CacheOutcome::kHit;
    }
    // The leader ran out of its own (shorter) budget; this caller has time left.
    if (!result && result.error().kind == ErrorKind::kTimeout && !deadline.expired()) continue;
    count(result);
    return result;
  }
}

Result<CachedResponse> ResponseCache::lead(const CacheKey& key, const LoadOptions& options,
                                           Deadline deadline, Loader loader,
                                           const std::shared_ptr<Flight>& flight) {
  bool redis_ok = false;
  std::string redis_generation = "0";
  std::shared_ptr<const std::string> stale;
  const bool skip_redis = options.skip_redis;
  const auto ttl = options.ttl;
  // A request whose deadline already passed skips Redis: its failure would
  // say nothing about Redis and must not count towards opening the breaker.
  if (client_ && !skip_redis && !deadline.expired()) {
    auto permit = breaker_.acquire();
    if (permit != CircuitBreaker::Permit::kDenied) {
      auto gen_key = generation_key(key.scope);
      std::array<std::string_view, 2> keys{gen_key, key.key};
      auto values = client_->mget(keys, deadline);
      breaker_.record(permit, values.ok());
      if (!values) {
        errors_.inc();
        spdlog::debug("redis cache: MGET {} failed: {}", key.key, values.error().message);
      } else {
        redis_ok = true;
        if (auto body = current_body(key, values.value(), flight->generation, redis_generation,
                                     options.stale.count() > 0 ? &stale : nullptr)) {
          CachedResponse hit{std::move(body), CacheOutcome::kHit, false};
          finish_flight(key.key, flight);
          flight->promise.set_value(hit);
          return hit;
        }
      }
    }
  }

  Result<std::string> loaded = call_loader(key, deadline, loader, flight);
  if (!loaded) {
    // Removed before publishing, so a follower that retries starts afresh.
    finish_flight(key.key, flight);
    if (stale && stale_helps(loaded.error())) {
      spdlog::debug("serving stale {}: {}", key.key, loaded.error().message);
      CachedResponse served{std::move(stale), CacheOutcome::kStale, false};
      flight->promise.set_value(served);
      return served;
    }
    flight->promise.set_value(loaded.error());
    return loaded.error();
  }
  auto body = std::make_shared<const std::string>(std::move(loaded.value()));
  CachedResponse response{body, redis_ok ? CacheOutcome::kMiss : CacheOutcome::kBypass, false};
  flight->promise.set_value(response);

  bool current = generation(key.scope) == flight->generation;
  if (l1_ && current) l1_->put(key.key, flight->generation, body);
  if (!redis_ok || !current || ttl.count() <= 0 ||
      !store_in_background(key, options, std::move(redis_generation), body, flight)) {
    finish_flight(key.key, flight);
  }
  return response;
}

Result<std::string> ResponseCache::call_loader(const CacheKey& key, Deadline deadline,
                                               Loader loader,
                                               const std::shared_ptr<Flight>& flight) {
  try {
    return loader(deadline);
  } catch (...) {
    finish_flight(key.key, flight);
    flight->promise.set_value(Error{ErrorKind::kInternal, "response loader threw"});
    throw;
  }
}

// The response does not wait for the SET, and the flight stays joinable
// (already complete) until the entry is in Redis, so callers arriving
// meanwhile do not load again. False when the queue is full or stopping.
bool ResponseCache::store_in_background(const CacheKey& key, const LoadOptions& options,
                                        std::string redis_generation,
                                        const std::shared_ptr<const std::string>& body,
                                        const std::shared_ptr<Flight>& flight) {
  std::lock_guard lock(write_mutex_);
  if (writes_.size() >= kMaxPendingWrites || stopping_) return false;
  writes_.push_back(Write{key.key, key.scope, flight->generation, std::move(redis_generation), body,
                          options.ttl, options.stale, flight});
  write_cv_.notify_one();
  return true;
}

std::shared_ptr<const std::string> ResponseCache::current_body(
    const CacheKey& key, redis::Values& values, std::uint64_t local_generation,
    std::string& redis_generation, std::shared_ptr<const std::string>* stale) {
  if (values.size() != 2) return nullptr;
  if (values[0]) redis_generation = std::move(*values[0]);
  if (!values[1]) return nullptr;
  bool fresh = false;
  auto body = unstamp(std::move(*values[1]), redis_generation, fresh);
  if (body && !fresh) {
    if (stale) *stale = std::move(body);
    return nullptr;
  }
  if (body && l1_ && generation(key.scope) == local_generation) {
    l1_->put(key.key, local_generation, body);
  }
  return body;
}

bool ResponseCache::async_reads() const {
  return reader_ && breaker_.state() == BreakerState::kClosed;
}

struct ResponseCache::AsyncFlight {
  std::uint64_t local_generation = 0;
  std::vector<AsyncDone> waiters;
};

void ResponseCache::lookup_async(const CacheKey& key, Deadline deadline,
                                 const boost::asio::any_io_executor& executor, AsyncDone done) {
  if (!reader_ || deadline.expired()) return done({});
  const auto local_generation = generation(key.scope);
  // Lookups of one key on one I/O thread share one MGET in flight: under load
  // that saves Redis and this thread from reading the same body many times.
  const AsyncFlightKey flight_key{&boost::asio::query(executor, boost::asio::execution::context),
                                  key.key};
  auto flight = std::make_shared<AsyncFlight>();
  flight->local_generation = local_generation;
  {
    std::lock_guard lock(async_mutex_);
    auto [it, inserted] = async_flights_.try_emplace(flight_key, flight);
    if (!inserted) {
      // One started before an invalidation in this process is not joined.
      if (it->second->local_generation == local_generation) {
        it->second->waiters.push_back(std::move(done));
        return;
      }
      flight = std::make_shared<AsyncFlight>();  // runs alone, not registered
      flight->local_generation = local_generation;
    }
    flight->waiters.push_back(std::move(done));
  }
  const auto permit = breaker_.acquire();
  if (permit == CircuitBreaker::Permit::kDenied) return finish_async(flight_key, flight, {});
  const auto gen_key = generation_key(key.scope);
  const std::array<std::string_view, 2> keys{gen_key, key.key};
  auto on_reply = [this, key, permit, flight_key, flight](Result<redis::Values> values) {
    if (!values && values.error().kind == ErrorKind::kInvalid) {
      // An error reply (a redirect while slots move, LOADING, ...): Redis is
      // up; the blocking client on a worker knows how to follow it.
      breaker_.record(permit, true);
      spdlog::debug("redis cache: async MGET {}: {}", key.key, values.error().message);
      return finish_async(flight_key, flight, {});
    }
    breaker_.record(permit, values.ok());
    if (!values) {
      errors_.inc();
      reader_->routes_failed();  // after a failover the slot's master has moved
      spdlog::debug("redis cache: async MGET {} failed: {}", key.key, values.error().message);
      return finish_async(flight_key, flight, {std::nullopt, true});
    }
    std::string redis_generation = "0";
    if (auto body = current_body(key, values.value(), flight->local_generation, redis_generation,
                                 nullptr)) {
      return finish_async(flight_key, flight,
                          {CachedResponse{std::move(body), CacheOutcome::kHit, false}, false});
    }
    finish_async(flight_key, flight, {});  // a miss: get_or_load loads it, once per key
  };
  if (!reader_->mget(executor, keys, redis::key_slot(key.key), deadline, std::move(on_reply))) {
    // No node known for the slot yet: not a Redis failure, and a probe that
    // was not used is simply granted again after the cool-down.
    finish_async(flight_key, flight, {});
  }
}

void ResponseCache::finish_async(const AsyncFlightKey& flight_key,
                                 const std::shared_ptr<AsyncFlight>& flight,
                                 const AsyncLookup& result) {
  std::vector<AsyncDone> waiters;
  {
    std::lock_guard lock(async_mutex_);
    if (auto it = async_flights_.find(flight_key);
        it != async_flights_.end() && it->second == flight) {
      async_flights_.erase(it);
    }
    waiters = std::move(flight->waiters);
  }
  for (auto& waiter : waiters) {
    if (result.hit) hits_.inc();
    waiter(result);
  }
}

void ResponseCache::finish_flight(const std::string& key, const std::shared_ptr<Flight>& flight) {
  std::lock_guard lock(mutex_);
  if (auto it = flights_.find(key); it != flights_.end() && it->second == flight) {
    flights_.erase(it);
  }
}

void ResponseCache::writer_loop() {
  std::unique_lock lock(write_mutex_);
  while (true) {
    write_cv_.wait(lock, [&] { return stopping_ || !writes_.empty(); });
    if (stopping_) break;
    Write write = std::move(writes_.front());
    writes_.pop_front();
    writing_ = true;
    lock.unlock();
    // Skipped when the scope was invalidated since the load started (the
    // Redis stamp would also make other instances ignore it).
    if (generation(write.scope) == write.generation) {
      auto permit = breaker_.acquire();
      if (permit != CircuitBreaker::Permit::kDenied) {
        const auto fresh_until =
            wall_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(write.ttl).count();
        auto st = client_->set(write.key, stamp(write.redis_generation, fresh_until, *write.body),
                               write.ttl + write.stale, Deadline::after(kWriteBudget));
        breaker_.record(permit, st.ok());
        if (!st) {
          errors_.inc();
          spdlog::debug("redis cache: SET {} failed: {}", write.key, st.error().message);
        }
      }
    }
    finish_flight(write.key, write.flight);
    write = Write{};
    lock.lock();
    writing_ = false;
    if (writes_.empty()) write_idle_cv_.notify_all();
  }
  // Pending writes are dropped; their flights are complete, only unlink them.
  for (auto& write : writes_) finish_flight(write.key, write.flight);
  writes_.clear();
}

void ResponseCache::flush_writes() {
  std::unique_lock lock(write_mutex_);
  write_idle_cv_.wait(lock, [&] { return stopping_ || (writes_.empty() && !writing_); });
}

Status ResponseCache::invalidate(std::string_view db, std::string_view collection,
                                 Deadline deadline) {
  return invalidate_scope(cache_scope(db, collection), deadline);
}

Status ResponseCache::invalidate_scope(std::string_view scope, Deadline deadline) {
  {
    std::lock_guard lock(mutex_);
    auto it = generations_.find(scope);
    if (it == generations_.end()) it = generations_.emplace(std::string(scope), 0).first;
    ++it->second;
  }
  if (!client_) return ok_status();
  // Its own budget (the client caps it at the command timeout), not what the
  // write left of the request's: a skipped invalidation means stale reads.
  Deadline budget(std::max(deadline.at(), Clock::now() + kWriteBudget));
  auto permit = breaker_.acquire();
  // Bump the shared generation first: from then on every instance ignores
  // entries stamped with the old one. The DEL only frees the memory.
  auto gen = client_->incr(generation_key(scope), budget);
  if (!gen) {
    breaker_.record(permit, false);
    errors_.inc();
    return Error{gen.error().kind,
                 fmt::format("cache invalidation of {} failed: {}", scope, gen.error().message)};
  }
  auto users = fmt::format("{}{{{}}}:users", kPrefix, scope);
  auto st = client_->del(users, budget);
  breaker_.record(permit, true);
  if (!st) errors_.inc();
  return ok_status();
}

CacheStatus ResponseCache::status() const {
  CacheStatus s;
  s.configured = client_ != nullptr;
  s.breaker = breaker_.state();
  s.enabled = s.configured && s.breaker != BreakerState::kOpen;
  s.mode = client_ ? client_->mode() : std::string_view("none");
  return s;
}

}  // namespace storefront::cache
