#include "api/exchange.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <random>

#include "api/error_mapper.hpp"
#include "common/json_writer.hpp"
#include "obs/log.hpp"

namespace storefront::api {

namespace bhttp = boost::beast::http;

namespace {

bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

int method_index(bhttp::verb method) {
  switch (method) {
    case bhttp::verb::get:
      return 0;
    case bhttp::verb::post:
      return 1;
    case bhttp::verb::put:
      return 2;
    case bhttp::verb::delete_:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

http::Response make_response(unsigned status, std::string body, std::string_view content_type) {
  http::Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

std::string detail_json(std::string_view detail) {
  std::string out = R"({"detail":)";
  append_json_string(out, detail);
  out.push_back('}');
  return out;
}

http::Response error_response(unsigned status, std::string_view detail) {
  return make_response(status, detail_json(detail));
}

http::Response validation_response(const std::string& detail_list_json) {
  return make_response(422, R"({"detail":)" + detail_list_json + "}");
}

http::Response unauthenticated_response() {
  auto res = error_response(401, "Not authenticated");
  res.set(bhttp::field::www_authenticate, "Bearer");
  return res;
}

Responder::Responder(obs::HttpMetrics& metrics, Offloader& offloader, int retry_after_s)
    : metrics_(metrics), offloader_(offloader), retry_after_s_(retry_after_s) {
  for (std::size_t r = 0; r < kRoutes; ++r) {
    histograms_[r] = &metrics_.duration.with({route_template(static_cast<Route>(r))});
    shed_[r] = &metrics_.shed.with({route_template(static_cast<Route>(r))});
  }
}

ExchangePtr Responder::begin(const http::Request& request, const http::ConnectionInfo& info,
                             http::Reply reply, std::chrono::milliseconds timeout,
                             Route route) const {
  auto ex = std::make_shared<Exchange>();
  ex->started = Clock::now();
  ex->deadline = Deadline(ex->started + timeout);
  ex->method = request.method();
  ex->method_name = std::string(request.method_string());
  ex->target = std::string(request.target());
  ex->route = route;
  ex->remote = info.remote;
  ex->executor = info.executor;
  ex->reply = std::move(reply);
  auto header_id = request["X-Request-Id"];
  ex->request_id = acceptable_request_id(header_id) ? std::string(header_id) : new_request_id();
  return ex;
}

obs::Counter& Responder::request_counter(const Exchange& ex, unsigned status) {
  const auto route = static_cast<std::size_t>(ex.route);
  const int method = method_index(ex.method);
  auto slow_path = [&]() -> obs::Counter& {
    return metrics_.requests.with(
        {ex.method_name, route_template(ex.route), std::to_string(status)});
  };
  for (std::size_t s = 0; method >= 0 && s < kStatuses.size(); ++s) {
    if (kStatuses[s] != status) continue;
    auto& slot = counters_[route][static_cast<std::size_t>(method)][s];
    obs::Counter* counter = slot.load(std::memory_order_acquire);
    if (!counter) {
      counter = &slow_path();
      slot.store(counter, std::memory_order_release);
    }
    return *counter;
  }
  return slow_path();
}

void Responder::finish(const ExchangePtr& ex, http::Response&& res) {
  res.set("X-Request-Id", ex->request_id);
  res.prepare_payload();
  const auto elapsed = Clock::now() - ex->started;
  const auto route = route_template(ex->route);
  const unsigned status = res.result_int();
  request_counter(*ex, status).inc();
  histograms_[static_cast<std::size_t>(ex->route)]->observe(
      std::chrono::duration<double>(elapsed).count());
  obs::log_access({ex->method_name, ex->target, route, status,
                   std::chrono::duration_cast<std::chrono::microseconds>(elapsed), ex->request_id,
                   ex->remote});
  ex->reply(std::move(res));
}

void Responder::fail(const ExchangePtr& ex, const Error& error) {
  const HttpError http_error = to_http_error(error, retry_after_s_);
  // Shedding is counted, not logged: under overload a line per refusal
  // would cost what the refusal saves.
  if (http_error.status >= 500 && error.kind != ErrorKind::kOverloaded) {
    spdlog::warn("request {} {} {} failed: {}", ex->request_id, ex->method_name, ex->target,
                 error.message);
  }
  if (error.kind == ErrorKind::kOverloaded) shed_[static_cast<std::size_t>(ex->route)]->inc();
  auto res = error_response(http_error.status, http_error.detail);
  if (http_error.retry_after_s) {
    res.set(bhttp::field::retry_after, std::to_string(*http_error.retry_after_s));
  }
  finish(ex, std::move(res));
}

void Responder::offload(const ExchangePtr& ex, Job job) {
  offloader_.run(
      ex->deadline, [ex, job = std::move(job)] { job(ex); },
      [this, ex](const Error& error) { fail(ex, error); });
}

}  // namespace storefront::api
