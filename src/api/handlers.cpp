#include "api/handlers.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <random>

#include "api/error_mapper.hpp"
#include "api/openapi.hpp"
#include "api/validation.hpp"
#include "common/json_writer.hpp"
#include "obs/log.hpp"

namespace storefront::api {

namespace bhttp = boost::beast::http;

// One request on its way through the API: what the access log and the
// metrics need once the response is known.
struct Exchange {
  bhttp::verb method;
  std::string method_name;
  std::string target;
  Route route = Route::kUnmatched;
  std::string request_id;
  std::string remote;
  boost::asio::any_io_executor executor;  // the connection's I/O thread
  Clock::time_point started;
  Deadline deadline{Clock::now()};
  http::Reply reply;
};

namespace {

constexpr std::string_view kJson = "application/json";

http::Response make_response(unsigned status, std::string body,
                             std::string_view content_type = kJson) {
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

void append_host_port(JsonWriter& w, const store::HostPort& hp) {
  w.begin_array();
  w.string(hp.host);
  w.number(static_cast<std::int64_t>(hp.port));
  w.end_array();
}

// The members of a shard's replica set from its listShards host string
// ("rsName/host1:port,host2:port").
std::vector<std::string_view> shard_hosts(std::string_view host) {
  std::vector<std::string_view> out;
  if (auto slash = host.find('/'); slash != std::string_view::npos) host.remove_prefix(slash + 1);
  while (!host.empty()) {
    auto comma = host.find(',');
    out.push_back(host.substr(0, comma));
    if (comma == std::string_view::npos) break;
    host.remove_prefix(comma + 1);
  }
  return out;
}

void append_cache_state(JsonWriter& w, const cache::ResponseCache* cache) {
  const auto status = cache ? cache->status() : cache::CacheStatus{};
  w.begin_object();
  w.key("configured");
  w.boolean(status.configured);
  w.key("enabled");
  w.boolean(status.enabled);
  w.key("mode");
  w.string(status.mode);
  w.key("breaker");
  w.string(cache::to_string(status.breaker));
  w.end_object();
}

std::string render_deployment(const store::DeploymentInfo& info, const ApiOptions& options,
                              const cache::ResponseCache* cache) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("mongo_topology_type");
  w.string(info.topology_type);
  w.key("mongo_replicaset_name");
  info.replica_set_name ? w.string(*info.replica_set_name) : w.null();
  w.key("mongo_db");
  w.string(options.database);
  w.key("read_preference");
  w.string("Primary()");
  w.key("mongo_nodes");
  w.begin_array();
  for (const auto& n : info.nodes) append_host_port(w, n);
  w.end_array();
  w.key("mongo_primary_host");
  info.primary ? append_host_port(w, *info.primary) : w.null();
  w.key("mongo_secondary_hosts");
  w.begin_array();
  for (const auto& n : info.secondaries) append_host_port(w, n);
  w.end_array();
  w.key("mongo_is_primary");
  w.boolean(info.is_primary);
  w.key("mongo_is_mongos");
  w.boolean(info.is_mongos);
  w.key("collections");
  w.begin_object();
  for (const auto& c : info.collections) {
    w.key(c.name);
    w.begin_object();
    w.key("documents_count");
    w.number(c.documents);
    w.end_object();
  }
  w.end_object();
  w.key("shards");
  if (info.shards) {
    w.begin_object();
    for (const auto& [id, host] : *info.shards) {
      w.key(id);
      w.string(host);
    }
    w.end_object();
  } else {
    w.null();
  }
  w.key("shard_replica_counts");
  if (info.shards) {
    w.begin_object();
    for (const auto& [id, host] : *info.shards) {
      w.key(id);
      w.number(static_cast<std::int64_t>(shard_hosts(host).size()));
    }
    w.end_object();
  } else {
    w.null();
  }
  w.key("shard_document_counts");
  if (info.shards) {
    w.begin_object();
    for (const auto& c : info.collections) {
      if (!c.per_shard) continue;
      w.key(c.name);
      w.begin_object();
      for (const auto& [shard, n] : *c.per_shard) {
        w.key(shard);
        w.number(n);
      }
      w.end_object();
    }
    w.end_object();
  } else {
    w.null();
  }
  w.key("replica_set_members");
  if (info.replica_members) {
    w.begin_array();
    for (const auto& m : *info.replica_members) {
      w.begin_object();
      w.key("name");
      w.string(m.name);
      w.key("state");
      w.string(m.state);
      w.key("healthy");
      w.boolean(m.healthy);
      w.end_object();
    }
    w.end_array();
  } else {
    w.null();
  }
  w.key("cache_enabled");
  w.boolean(cache != nullptr && cache->status().enabled);
  w.key("cache");
  append_cache_state(w, cache);
  w.key("instance_id");
  w.string(options.instance_id);
  w.key("version");
  w.string(options.version);
  w.key("status");
  w.string("OK");
  w.end_object();
  return out;
}

}  // namespace

Api::Api(ApiOptions options, store::UserStore& store, WorkerPool& workers,
         obs::HttpMetrics& metrics, std::function<std::string()> render_metrics,
         StaticFiles docs_assets, cache::ResponseCache* cache)
    : options_(std::move(options)),
      store_(store),
      workers_(workers),
      metrics_(metrics),
      render_metrics_(std::move(render_metrics)),
      docs_assets_(std::move(docs_assets)),
      cache_(cache) {
  for (std::size_t r = 0; r < kRoutes; ++r) {
    histograms_[r] = &metrics_.duration.with({route_template(static_cast<Route>(r))});
  }
}

obs::Counter& Api::request_counter(const Exchange& ex, unsigned status) {
  const auto route = static_cast<std::size_t>(ex.route);
  const int method = ex.method == bhttp::verb::get ? 0 : ex.method == bhttp::verb::post ? 1 : -1;
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

obs::Histogram& Api::route_histogram(Route route) {
  return *histograms_[static_cast<std::size_t>(route)];
}

void Api::handle(http::Request&& request, const http::ConnectionInfo& info, http::Reply reply) {
  auto ex = std::make_shared<Exchange>();
  ex->started = Clock::now();
  ex->deadline = Deadline(ex->started + options_.request_timeout);
  ex->method = request.method();
  ex->method_name = std::string(request.method_string());
  ex->target = std::string(request.target());
  ex->remote = info.remote;
  ex->executor = info.executor;
  ex->reply = std::move(reply);
  auto header_id = request["X-Request-Id"];
  ex->request_id = acceptable_request_id(header_id) ? std::string(header_id) : new_request_id();

  const RouteMatch match = match_route(request.target());
  ex->route = match.route;
  dispatch(ex, request, match);
}

void Api::dispatch(const ExchangePtr& ex, http::Request& request, const RouteMatch& match) {
  if (match.route == Route::kBadTarget) return finish(ex, error_response(400, "Invalid URL"));
  if (match.route == Route::kUnmatched) return finish(ex, error_response(404, "Not Found"));
  const bool is_get = ex->method == bhttp::verb::get;
  const bool is_post = ex->method == bhttp::verb::post;
  if (!is_get && !(is_post && match.route == Route::kUsers)) {
    auto res = error_response(405, "Method Not Allowed");
    res.set(bhttp::field::allow, allowed_methods(match.route));
    return finish(ex, std::move(res));
  }
  if (match.route == Route::kCount || match.route == Route::kUsers || match.route == Route::kUser) {
    if (auto problem = collection_name_problem(match.collection)) {
      return finish(ex, error_response(400, *problem));
    }
  }
  switch (match.route) {
    case Route::kHealthLive:
      return finish(ex, make_response(200, R"({"status":"OK"})"));
    case Route::kHealthReady:
      return ready(ex);
    case Route::kMetrics:
      return finish(ex, make_response(200, render_metrics_(), "text/plain; version=0.0.4"));
    case Route::kOpenApi:
      return finish(ex, make_response(200, std::string(openapi_json())));
    case Route::kDocs:
      return finish(ex, make_response(200, std::string(docs_html()), "text/html; charset=utf-8"));
    case Route::kDocsAsset: {
      const StaticFile* file = docs_assets_.find(match.name);
      if (!file) return finish(ex, error_response(404, "Not Found"));
      auto res = make_response(200, file->content, file->content_type);
      res.set(bhttp::field::cache_control, "public, max-age=86400");
      return finish(ex, std::move(res));
    }
    case Route::kRoot:
      return root(ex);
    case Route::kCount:
      return count(ex, match.collection);
    case Route::kUsers:
      if (is_post) return create_user(ex, match.collection, request.body());
      return list_users(ex, match.collection);
    case Route::kUser:
      return show_user(ex, match.collection, match.name);
    case Route::kUnmatched:
    case Route::kBadTarget:
      break;
  }
  finish(ex, error_response(404, "Not Found"));
}

void Api::offload(const ExchangePtr& ex, Job job) {
  const bool queued = workers_.try_submit([this, ex, job = std::move(job)] {
    if (ex->deadline.expired()) {
      // Waited in the queue past its deadline: answering now helps nobody.
      return fail(ex, Error{ErrorKind::kOverloaded, "deadline expired in the worker queue"});
    }
    job(ex);
  });
  if (!queued) {
    metrics_.worker_rejected.inc();
    fail(ex, Error{ErrorKind::kOverloaded, "worker queue full"});
  }
}

void Api::fail(const ExchangePtr& ex, const Error& error) {
  const HttpError http_error = to_http_error(error, options_.retry_after_s);
  if (http_error.status >= 500) {
    spdlog::warn("request {} {} {} failed: {}", ex->request_id, ex->method_name, ex->target,
                 error.message);
  }
  auto res = error_response(http_error.status, http_error.detail);
  if (http_error.retry_after_s) {
    res.set(bhttp::field::retry_after, std::to_string(*http_error.retry_after_s));
  }
  finish(ex, std::move(res));
}

void Api::finish(const ExchangePtr& ex, http::Response&& res) {
  res.set("X-Request-Id", ex->request_id);
  res.prepare_payload();
  const auto elapsed = Clock::now() - ex->started;
  const auto route = route_template(ex->route);
  const unsigned status = res.result_int();
  request_counter(*ex, status).inc();
  route_histogram(ex->route).observe(std::chrono::duration<double>(elapsed).count());
  obs::log_access({ex->method_name, ex->target, route, status,
                   std::chrono::duration_cast<std::chrono::microseconds>(elapsed), ex->request_id,
                   ex->remote});
  ex->reply(std::move(res));
}

void Api::ready(const ExchangePtr& ex) {
  if (draining_.load()) {
    auto res = make_response(503, R"({"status":"draining","detail":"Instance is shutting down"})");
    res.set(bhttp::field::retry_after, std::to_string(options_.retry_after_s));
    return finish(ex, std::move(res));
  }
  offload(ex, [this](const ExchangePtr& ex) {
    auto status = store_.ping(ex->deadline.capped(options_.ready_timeout));
    if (!status) return fail(ex, status.error());
    finish(ex, make_response(200, R"({"status":"OK","mongo":"up"})"));
  });
}

void Api::root(const ExchangePtr& ex) {
  offload(ex, [this](const ExchangePtr& ex) {
    auto info = store_.describe(ex->deadline);
    if (!info) return fail(ex, info.error());
    finish(ex, make_response(200, render_deployment(*info, options_, cache_)));
  });
}

void Api::count(const ExchangePtr& ex, const std::string& collection) {
  offload(ex, [this, collection](const ExchangePtr& ex) {
    auto n = store_.count(collection, ex->deadline);
    if (!n) return fail(ex, n.error());
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    w.key("status");
    w.string("OK");
    w.key("mongo_db");
    w.string(options_.database);
    w.key("items_count");
    w.number(*n);
    w.end_object();
    finish(ex, make_response(200, std::move(body)));
  });
}

void Api::finish_cached(const ExchangePtr& ex, cache::CachedResponse&& served) {
  auto res = make_response(200, {});
  res.body() = std::move(served.body);  // shared with the cache: no copy
  res.set("X-Cache", cache::to_string(served.outcome));
  finish(ex, std::move(res));
}

void Api::list_users(const ExchangePtr& ex, const std::string& collection) {
  if (cache_) {
    auto key = cache::users_list_key(options_.database, collection);
    // An L1 hit is answered right here on the I/O thread: no worker hop, no Redis.
    if (auto hit = cache_->lookup_l1(key)) return finish_cached(ex, std::move(*hit));
    // So is a Redis hit, read without blocking; anything else goes to a worker.
    if (ex->executor && cache_->async_reads()) {
      return cache_->lookup_async(key, ex->deadline, ex->executor,
                                  [this, ex, collection](const auto& found) {
                                    // A copy shares the body.
                                    if (found.hit) {
                                      return finish_cached(ex, cache::CachedResponse(*found.hit));
                                    }
                                    load_users(ex, collection, found.skip_redis);
                                  });
    }
  }
  load_users(ex, collection, false);
}

void Api::load_users(const ExchangePtr& ex, const std::string& collection, bool skip_redis) {
  offload(ex, [this, collection, skip_redis](const ExchangePtr& ex) {
    auto load = [&](Deadline deadline) {
      return store_.list_users_json(collection, options_.max_users, deadline);
    };
    if (!cache_) {
      auto body = load(ex->deadline);
      if (!body) return fail(ex, body.error());
      return finish(ex, make_response(200, std::move(body).value()));
    }
    auto served = cache_->get_or_load(cache::users_list_key(options_.database, collection),
                                      ex->deadline, load, skip_redis);
    if (!served) return fail(ex, served.error());
    finish_cached(ex, std::move(served).value());
  });
}

void Api::show_user(const ExchangePtr& ex, const std::string& collection, const std::string& name) {
  offload(ex, [this, collection, name](const ExchangePtr& ex) {
    auto user = store_.find_user_json(collection, name, ex->deadline);
    if (!user) return fail(ex, user.error());
    if (!user.value())
      return finish(ex, error_response(404, fmt::format("User {} not found", name)));
    finish(ex, make_response(200, std::move(*user.value())));
  });
}

void Api::create_user(const ExchangePtr& ex, const std::string& collection,
                      const std::string& body) {
  auto parsed = parse_new_user(body);
  if (auto* errors = std::get_if<ValidationErrors>(&parsed)) {
    return finish(ex, make_response(422, R"({"detail":)" + errors->detail_json + "}"));
  }
  offload(ex, [this, collection,
               user = std::get<store::NewUser>(std::move(parsed))](const ExchangePtr& ex) {
    auto stored = store_.insert_user(collection, user, ex->deadline);
    if (!stored) return fail(ex, stored.error());
    // Invalidate before answering, so the client's next read sees its write.
    if (cache_) {
      if (auto st = cache_->invalidate(options_.database, collection, ex->deadline); !st) {
        spdlog::warn("request {}: cache invalidation of {} failed: {}", ex->request_id, collection,
                     st.error().message);
      }
    }
    finish(ex, make_response(201, std::move(stored).value()));
  });
}

}  // namespace storefront::api
