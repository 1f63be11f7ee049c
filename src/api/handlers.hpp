#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/router.hpp"
#include "api/static_files.hpp"
#include "cache/response_cache.hpp"
#include "common/result.hpp"
#include "common/worker_pool.hpp"
#include "http/server.hpp"
#include "obs/http_metrics.hpp"
#include "store/user_store.hpp"

namespace storefront::api {

struct ApiOptions {
  std::string database = "somedb";
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds ready_timeout{1000};
  int max_users = 1000;
  int retry_after_s = 1;
  std::string instance_id;
  std::string version;
};

struct Exchange;

// The HTTP handlers: parse, validate, call the store on the worker pool,
// render. They never touch sockets.
class Api final : public http::Handler {
 public:
  Api(ApiOptions options, store::UserStore& store, WorkerPool& workers, obs::HttpMetrics& metrics,
      std::function<std::string()> render_metrics, StaticFiles docs_assets,
      cache::ResponseCache* cache = nullptr);

  void handle(http::Request&& request, const http::ConnectionInfo& info,
              http::Reply reply) override;

  // Readiness answers 503 from now on (first step of a graceful shutdown).
  void set_draining() { draining_.store(true); }

 private:
  using ExchangePtr = std::shared_ptr<Exchange>;
  using Job = std::function<void(const ExchangePtr&)>;

  void dispatch(const ExchangePtr& ex, http::Request& request, const RouteMatch& match);
  // Runs `job` on the worker pool, or answers 503 when the pool is full.
  void offload(const ExchangePtr& ex, Job job);
  void finish(const ExchangePtr& ex, http::Response&& res);
  void fail(const ExchangePtr& ex, const Error& error);

  // Series resolved once, so recording a request is a few atomic increments.
  obs::Counter& request_counter(const Exchange& ex, unsigned status);
  obs::Histogram& route_histogram(Route route);

  void root(const ExchangePtr& ex);
  void ready(const ExchangePtr& ex);
  void count(const ExchangePtr& ex, const std::string& collection);
  void list_users(const ExchangePtr& ex, const std::string& collection);
  // The worker path of list_users: get_or_load (or the store without a cache).
  void load_users(const ExchangePtr& ex, const std::string& collection, bool skip_redis);
  void finish_cached(const ExchangePtr& ex, cache::CachedResponse&& served);
  void show_user(const ExchangePtr& ex, const std::string& collection, const std::string& name);
  void create_user(const ExchangePtr& ex, const std::string& collection, const std::string& body);

  ApiOptions options_;
  store::UserStore& store_;
  WorkerPool& workers_;
  obs::HttpMetrics& metrics_;
  std::function<std::string()> render_metrics_;
  StaticFiles docs_assets_;
  cache::ResponseCache* cache_;  // null: REDIS_URL unset
  std::atomic<bool> draining_{false};

  static constexpr std::size_t kRoutes = static_cast<std::size_t>(Route::kBadTarget) + 1;
  static constexpr std::array<unsigned, 12> kStatuses{200, 201, 400, 404, 405, 409,
                                                      413, 422, 431, 500, 503, 504};
  // [route][0 = GET, 1 = POST][status index], resolved on first use so
  // /metrics only lists series that happened.
  std::array<std::array<std::array<std::atomic<obs::Counter*>, kStatuses.size()>, 2>, kRoutes>
      counters_{};
  std::array<obs::Histogram*, kRoutes> histograms_{};
};

}  // namespace storefront::api
