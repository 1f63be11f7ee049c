#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/router.hpp"
#include "common/deadline.hpp"
#include "common/offloader.hpp"
#include "common/result.hpp"
#include "http/server.hpp"
#include "obs/http_metrics.hpp"
#include "store/async.hpp"

// The small layer every resource's handlers share: one request on its way
// (Exchange), building responses, finishing them (metrics, access log),
// mapping errors and handing blocking work to the worker pool.
namespace storefront::api {

// One request on its way through the API: what the access log and the
// metrics need once the response is known.
struct Exchange {
  boost::beast::http::verb method;
  std::string method_name;
  std::string target;
  Route route = Route::kUnmatched;
  std::string request_id;
  std::string remote;
  boost::asio::any_io_executor executor;  // the connection's I/O thread
  Clock::time_point started;
  Deadline deadline{Clock::now()};
  http::Reply reply;

  store::Call call() const { return store::Call{deadline, executor}; }
};
using ExchangePtr = std::shared_ptr<Exchange>;

inline constexpr std::string_view kJson = "application/json";

http::Response make_response(unsigned status, std::string body,
                             std::string_view content_type = kJson);
// {"detail": "..."}
std::string detail_json(std::string_view detail);
http::Response error_response(unsigned status, std::string_view detail);
// 422 with FastAPI's {"detail": [...]} list, already serialized.
http::Response validation_response(const std::string& detail_list_json);
// 401 {"detail": "Not authenticated"} with WWW-Authenticate: Bearer.
http::Response unauthenticated_response();

class Responder {
 public:
  using Job = std::function<void(const ExchangePtr&)>;

  Responder(obs::HttpMetrics& metrics, Offloader& offloader, int retry_after_s);

  ExchangePtr begin(const http::Request& request, const http::ConnectionInfo& info,
                    http::Reply reply, std::chrono::milliseconds timeout, Route route) const;
  // Adds X-Request-Id, records metrics and the access log line, replies.
  void finish(const ExchangePtr& ex, http::Response&& res);
  // The one mapping of an Error to a status (error_mapper), 503s with
  // Retry-After; a refusal for load (kOverloaded) counts in
  // storefront_shed_total{route}.
  void fail(const ExchangePtr& ex, const Error& error);
  // Runs `job` on the worker pool, or answers 503 when the pool is full.
  void offload(const ExchangePtr& ex, Job job);

 private:
  // Series resolved once, so recording a request is a few atomic increments.
  obs::Counter& request_counter(const Exchange& ex, unsigned status);

  obs::HttpMetrics& metrics_;
  Offloader& offloader_;
  const int retry_after_s_;

  static constexpr std::size_t kRoutes = static_cast<std::size_t>(Route::kBadTarget) + 1;
  static constexpr std::size_t kMethods = 4;  // GET, POST, PUT, DELETE
  static constexpr std::array<unsigned, 16> kStatuses{200, 201, 204, 304, 400, 401, 403, 404,
                                                      405, 409, 413, 422, 431, 500, 503, 504};
  // [route][method][status index], resolved on first use so /metrics only
  // lists series that happened.
  std::array<std::array<std::array<std::atomic<obs::Counter*>, kStatuses.size()>, kMethods>,
             kRoutes>
      counters_{};
  std::array<obs::Histogram*, kRoutes> histograms_{};
  std::array<obs::Counter*, kRoutes> shed_{};
};

}  // namespace storefront::api
