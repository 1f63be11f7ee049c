#include "api/handlers.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "api/openapi.hpp"
#include "api/validation.hpp"
#include "common/json_writer.hpp"

namespace storefront::api {

namespace bhttp = boost::beast::http;

namespace {

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

void append_cache_state(JsonWriter& w, const cache::CacheStatusSource* cache) {
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

void append_mongo_topology(JsonWriter& w, const store::DeploymentInfo& info,
                           const ApiOptions& options) {
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
}

void append_collections(JsonWriter& w, const store::DeploymentInfo& info) {
  w.key("collections_truncated");
  w.boolean(info.collections_truncated);
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
}

// shards, shard_replica_counts, shard_document_counts: null unless sharded.
void append_shards(JsonWriter& w, const store::DeploymentInfo& info) {
  if (!info.shards) {
    for (const char* key : {"shards", "shard_replica_counts", "shard_document_counts"}) {
      w.key(key);
      w.null();
    }
    return;
  }
  w.key("shards");
  w.begin_object();
  for (const auto& [id, host] : *info.shards) {
    w.key(id);
    w.string(host);
  }
  w.end_object();
  w.key("shard_replica_counts");
  w.begin_object();
  for (const auto& [id, host] : *info.shards) {
    w.key(id);
    w.number(static_cast<std::int64_t>(shard_hosts(host).size()));
  }
  w.end_object();
  w.key("shard_document_counts");
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
}

void append_replica_members(JsonWriter& w, const store::DeploymentInfo& info) {
  w.key("replica_set_members");
  if (!info.replica_members) {
    w.null();
    return;
  }
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
}

std::string render_deployment(const store::DeploymentInfo& info, const ApiOptions& options,
                              const cache::CacheStatusSource* cache) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  append_mongo_topology(w, info, options);
  append_collections(w, info);
  append_shards(w, info);
  append_replica_members(w, info);
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

const char* cache_state(const cache::CacheStatusSource* cache) {
  if (!cache) return "disabled";
  switch (cache->status().breaker) {
    case cache::BreakerState::kClosed:
      return "up";
    case cache::BreakerState::kHalfOpen:
      return "probing";
    case cache::BreakerState::kOpen:
      return "down";
  }
  return "down";
}

bool is_collection_route(Route route) {
  return route == Route::kCount || route == Route::kUsers || route == Route::kUser;
}

}  // namespace

Api::Api(ApiOptions options, ApiDeps deps)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      responder_(deps_.metrics, deps_.offloader, options_.retry_after_s),
      users_(responder_, deps_.users, options_.database, options_.write_token),
      catalog_(responder_, deps_.catalog, options_.catalog),
      root_cache_(options_.root_cache_ttl),
      admin_(options_.catalog.admin_token) {
  if (!deps_.orders) return;
  stock_.emplace(responder_, deps_.orders->stock, deps_.catalog, admin_);
  orders_.emplace(responder_, deps_.orders->flow, deps_.catalog, deps_.orders->registry,
                  options_.retry_after_s);
}

void Api::handle(http::Request&& request, const http::ConnectionInfo& info, http::Reply reply) {
  const RouteMatch match = match_route(request.target());
  auto ex =
      responder_.begin(request, info, std::move(reply), options_.request_timeout, match.route);
  dispatch(ex, request, match);
}

// The answer to a request no resource handler sees: a bad target, an unknown
// route, a method the route does not allow, a refused collection.
std::optional<http::Response> Api::refusal(const ExchangePtr& ex, const RouteMatch& match) const {
  if (match.route == Route::kBadTarget) return error_response(400, "Invalid URL");
  if (match.route == Route::kUnmatched) return error_response(404, "Not Found");
  if (!method_allowed(match.route, ex->method_name)) {
    auto res = error_response(405, "Method Not Allowed");
    res.set(bhttp::field::allow, allowed_methods(match.route));
    return res;
  }
  if (is_collection_route(match.route)) {
    if (auto refusal = options_.collections.check(match.collection)) {
      return error_response(refusal->status, refusal->detail);
    }
  }
  return std::nullopt;
}

void Api::dispatch(const ExchangePtr& ex, http::Request& request, const RouteMatch& match) {
  if (auto res = refusal(ex, match)) return responder_.finish(ex, std::move(*res));
  const bool is_get = ex->method == bhttp::verb::get;
  switch (match.route) {
    case Route::kHealthLive:
      return responder_.finish(ex, make_response(200, R"({"status":"OK"})"));
    case Route::kHealthReady:
      return ready(ex);
    case Route::kMetrics:
      return responder_.finish(
          ex, make_response(200, deps_.render_metrics(), "text/plain; version=0.0.4"));
    case Route::kOpenApi:
      return responder_.finish(ex, make_response(200, std::string(openapi_json())));
    case Route::kDocs:
      return responder_.finish(
          ex, make_response(200, std::string(docs_html()), "text/html; charset=utf-8"));
    case Route::kDocsAsset: {
      const StaticFile* file = deps_.docs_assets.find(match.name);
      if (!file) return responder_.finish(ex, error_response(404, "Not Found"));
      auto res = make_response(200, file->content, file->content_type);
      res.set(bhttp::field::cache_control, "public, max-age=86400");
      return responder_.finish(ex, std::move(res));
    }
    case Route::kRoot:
      return root(ex);
    case Route::kCount:
      return users_.count(ex, match.collection);
    case Route::kUsers:
      if (!is_get) {
        return users_.create(ex, match.collection, request.body(),
                             request[bhttp::field::authorization]);
      }
      return users_.list(ex, match.collection);
    case Route::kUser:
      return users_.show(ex, match.collection, match.name);
    case Route::kCatalogProducts:
      return catalog_.list(ex, request);
    case Route::kCatalogCategories:
      return catalog_.categories(ex, request);
    case Route::kCatalogProduct:
      if (ex->method == bhttp::verb::put) return catalog_.put(ex, request, match.name);
      if (ex->method == bhttp::verb::delete_) return catalog_.remove(ex, request, match.name);
      return catalog_.show(ex, request, match.name);
    case Route::kCatalogStock:
    case Route::kOrders:
    case Route::kOrder:
    case Route::kOrderCancel:
      return orders(ex, request, match);
    case Route::kUnmatched:
    case Route::kBadTarget:
      break;
  }
  responder_.finish(ex, error_response(404, "Not Found"));
}

void Api::orders(const ExchangePtr& ex, http::Request& request, const RouteMatch& match) {
  if (!stock_ || !orders_) return responder_.finish(ex, error_response(404, "Not Found"));
  const bool is_get = ex->method == bhttp::verb::get;
  switch (match.route) {
    case Route::kCatalogStock:
      if (is_get) return stock_->show(ex, match.name);
      return stock_->adjust(ex, request, match.name);
    case Route::kOrders:
      return orders_->create(ex, request);
    case Route::kOrder:
      return orders_->show(ex, match.name);
    default:
      return orders_->cancel(ex, match.name);
  }
}

// Answered here on the I/O thread from state: "this instance can serve".
// A database outage or a full worker queue must not take every instance out
// of the gateway at once, so they show in the body, not in the status.
void Api::ready(const ExchangePtr& ex) {
  const char* mongo = deps_.health ? store::to_string(deps_.health->mongo()) : "unknown";
  const char* cache = cache_state(deps_.cache);
  const bool draining = draining_.load();
  const bool overloaded = !draining && deps_.overloaded();
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  w.key("status");
  w.string(draining ? "draining" : overloaded ? "overloaded" : "OK");
  if (draining) {
    w.key("detail");
    w.string("Instance is shutting down");
  }
  w.key("mongo");
  w.string(mongo);
  w.key("cache");
  w.string(cache);
  w.end_object();
  auto res = make_response(draining || overloaded ? 503 : 200, std::move(body));
  if (draining || overloaded) {
    res.set(bhttp::field::retry_after, std::to_string(options_.retry_after_s));
  }
  responder_.finish(ex, std::move(res));
}

void Api::root(const ExchangePtr& ex) {
  if (auto info = root_cache_.fresh(Clock::now())) {
    return responder_.finish(ex,
                             make_response(200, render_deployment(*info, options_, deps_.cache)));
  }
  responder_.offload(ex, [this](const ExchangePtr& ex) {
    auto info = deps_.deployment.describe(ex->deadline);
    if (!info) return responder_.fail(ex, info.error());
    auto shared = std::make_shared<const store::DeploymentInfo>(std::move(info).value());
    root_cache_.store(shared, Clock::now());
    responder_.finish(ex, make_response(200, render_deployment(*shared, options_, deps_.cache)));
  });
}

}  // namespace storefront::api
