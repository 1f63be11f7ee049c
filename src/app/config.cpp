#include "app/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <thread>

#include "api/collection_policy.hpp"
#include "redis/config.hpp"
#include "store/mongo_pool.hpp"

namespace storefront::app {
namespace {

using Setter = std::function<std::optional<std::string>(Config&, std::string_view)>;

struct Option {
  const char* env;
  const char* flag;
  const char* help;
  Setter set;
  std::function<std::string(const Config&)> show;
};

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

Setter integer(std::int64_t Config::*field, std::int64_t min, std::int64_t max) {
  return [=](Config& c, std::string_view v) -> std::optional<std::string> {
    auto n = to_int(v);
    if (!n || *n < min || *n > max) return fmt::format("expected an integer in [{}, {}]", min, max);
    c.*field = *n;
    return std::nullopt;
  };
}

Setter millis(milliseconds Config::*field, std::int64_t min, std::int64_t max) {
  return [=](Config& c, std::string_view v) -> std::optional<std::string> {
    auto n = to_int(v);
    if (!n || *n < min || *n > max) {
      return fmt::format("expected milliseconds in [{}, {}]", min, max);
    }
    c.*field = milliseconds(*n);
    return std::nullopt;
  };
}

Setter text(std::string Config::*field, bool allow_empty = true) {
  return [=](Config& c, std::string_view v) -> std::optional<std::string> {
    if (!allow_empty && v.empty()) return "must not be empty";
    c.*field = std::string(v);
    return std::nullopt;
  };
}

Setter boolean(bool Config::*field) {
  return [=](Config& c, std::string_view v) -> std::optional<std::string> {
    if (v == "1" || v == "true" || v == "yes" || v == "on") {
      c.*field = true;
    } else if (v == "0" || v == "false" || v == "no" || v == "off") {
      c.*field = false;
    } else {
      return "expected true or false";
    }
    return std::nullopt;
  };
}

// An http(s) URL, or (with `allow_path`) an absolute path such as /media.
Setter base_url(std::string Config::*field, bool allow_path) {
  return [=](Config& c, std::string_view v) -> std::optional<std::string> {
    const bool url = v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0;
    const bool path = allow_path && !v.empty() && v.front() == '/';
    if (!v.empty() && !url && !path) {
      return allow_path ? "expected an http(s) URL or an absolute path" : "expected an http(s) URL";
    }
    for (char ch : v) {
      if (ch <= ' ' || ch == '"' || ch == '\\' || ch == '?' || ch == '#' || ch >= 0x7f) {
        return "must not contain spaces, quotes, '?' or '#'";
      }
    }
    c.*field = std::string(v);
    return std::nullopt;
  };
}

std::optional<std::string> set_mongo_url(Config& c, std::string_view v) {
  auto ok = store::validate_mongo_url(std::string(v));
  if (!ok) return "not a valid MongoDB connection string: " + ok.error().message;
  c.mongodb_url = std::string(v);
  return std::nullopt;
}

std::optional<std::string> set_collections(Config& c, std::string_view v) {
  auto policy = api::CollectionPolicy::parse(v);
  if (!policy) return "expected * or a comma list of collection names: " + policy.error().message;
  c.collections = std::string(v);
  return std::nullopt;
}

std::optional<std::string> set_log_level(Config& c, std::string_view v) {
  static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
  for (auto level : kLevels) {
    if (v == level) {
      c.log_level = std::string(v);
      return std::nullopt;
    }
  }
  return "expected one of trace, debug, info, warn, error, critical, off";
}

template <class T>
std::function<std::string(const Config&)> show(T Config::*field) {
  return [=](const Config& c) {
    if constexpr (std::is_same_v<T, milliseconds>) {
      return fmt::format("{}ms", (c.*field).count());
    } else if constexpr (std::is_same_v<T, bool>) {
      return std::string(c.*field ? "true" : "false");
    } else {
      return fmt::format("{}", c.*field);
    }
  };
}

std::function<std::string(const Config&)> show_masked(std::string Config::*field) {
  return [=](const Config& c) { return mask_credentials(c.*field); };
}

// MongoDB, Redis and the response cache.
void add_storage_options(std::vector<Option>& out) {
  out.insert(
      out.end(),
      {
          {"MONGODB_URL", "mongodb-url", "MongoDB connection string (may list several mongos)",
           set_mongo_url, show_masked(&Config::mongodb_url)},
          {"MONGODB_DATABASE_NAME", "database", "database name", text(&Config::database, false),
           show(&Config::database)},
          {"MONGODB_SERVER_SELECTION_TIMEOUT_MS", "mongo-server-selection-timeout-ms",
           "how long to wait for a usable MongoDB server",
           millis(&Config::mongo_server_selection_timeout, 1, 600000),
           show(&Config::mongo_server_selection_timeout)},
          {"MONGODB_CONNECT_TIMEOUT_MS", "mongo-connect-timeout-ms", "MongoDB connect timeout",
           millis(&Config::mongo_connect_timeout, 1, 600000), show(&Config::mongo_connect_timeout)},
          {"MONGODB_SOCKET_TIMEOUT_MS", "mongo-socket-timeout-ms", "MongoDB socket read timeout",
           millis(&Config::mongo_socket_timeout, 1, 600000), show(&Config::mongo_socket_timeout)},
          {"REDIS_URL", "redis-url",
           "redis://host:port[/db] or redis-cluster://h1:p1,h2:p2; unset: no cache",
           text(&Config::redis_url), show_masked(&Config::redis_url)},
          {"REDIS_CLUSTER_NODES", "redis-cluster-nodes", "host:port,host:port of a Redis Cluster",
           text(&Config::redis_cluster_nodes), show(&Config::redis_cluster_nodes)},
          {"REDIS_TIMEOUT_MS", "redis-timeout-ms", "Redis command timeout",
           millis(&Config::redis_timeout, 1, 60000), show(&Config::redis_timeout)},
          {"REDIS_CONNECT_TIMEOUT_MS", "redis-connect-timeout-ms", "Redis connect timeout",
           millis(&Config::redis_connect_timeout, 1, 60000), show(&Config::redis_connect_timeout)},
          {"REDIS_POOL_SIZE", "redis-pool-size", "connections per Redis node",
           integer(&Config::redis_pool_size, 1, 1024), show(&Config::redis_pool_size)},
          {"CACHE_TTL_SECONDS", "cache-ttl-seconds", "TTL of cached user lists",
           integer(&Config::cache_ttl_s, 1, 86400), show(&Config::cache_ttl_s)},
          {"CACHE_L1_SIZE", "cache-l1-size", "entries of the in-process L1 cache (0: off)",
           integer(&Config::cache_l1_size, 0, 1000000), show(&Config::cache_l1_size)},
          {"CACHE_L1_TTL_MS", "cache-l1-ttl-ms", "TTL of L1 entries",
           millis(&Config::cache_l1_ttl, 1, 600000), show(&Config::cache_l1_ttl)},
          {"CACHE_ASYNC_READS", "cache-async-reads",
           "read cache hits from Redis on the I/O threads (no worker hop)",
           boolean(&Config::cache_async_reads), show(&Config::cache_async_reads)},
          {"CACHE_BREAKER_FAILURES", "cache-breaker-failures",
           "consecutive Redis failures that open the breaker",
           integer(&Config::cache_breaker_failures, 1, 1000),
           show(&Config::cache_breaker_failures)},
          {"CACHE_BREAKER_COOLDOWN_MS", "cache-breaker-cooldown-ms",
           "how long the open breaker bypasses Redis before probing",
           millis(&Config::cache_breaker_cooldown, 1, 600000),
           show(&Config::cache_breaker_cooldown)},
          {"CACHE_STALE_IF_ERROR_SECONDS", "cache-stale-if-error-seconds",
           "how long past its TTL a catalog entry is served when MongoDB fails (0: never)",
           integer(&Config::cache_stale_if_error_s, 0, 86400),
           show(&Config::cache_stale_if_error_s)},
      });
}

// The catalog, the users API, GET / and orders.
void add_api_options(std::vector<Option>& out) {
  out.insert(
      out.end(),
      {
          {"CDN_BASE_URL", "cdn-base-url",
           "base URL of product media on the CDN (https://cdn.example.ru/mobile-world)",
           base_url(&Config::cdn_base_url, false), show(&Config::cdn_base_url)},
          {"MEDIA_BASE_URL", "media-base-url",
           "media base when CDN_BASE_URL is unset (URL or /path)",
           base_url(&Config::media_base_url, true), show(&Config::media_base_url)},
          {"CATALOG_MAX_AGE_SECONDS", "catalog-max-age-seconds",
           "Cache-Control max-age of catalog responses",
           integer(&Config::catalog_max_age_s, 0, 31536000), show(&Config::catalog_max_age_s)},
          {"STOREFRONT_ADMIN_TOKEN", "admin-token",
           "Bearer token of the catalog admin API; unset: admin API disabled",
           text(&Config::admin_token),
           [](const Config& c) { return std::string(c.admin_token.empty() ? "" : "****"); }},
          {"STOREFRONT_COLLECTIONS", "collections",
           "collections the users API may use: * (any valid name) or a comma list; others are 404",
           set_collections, show(&Config::collections)},
          {"STOREFRONT_WRITE_TOKEN", "write-token",
           "Bearer token POST /{collection}/users needs; unset: writes are open",
           text(&Config::write_token),
           [](const Config& c) { return std::string(c.write_token.empty() ? "" : "****"); }},
          {"STOREFRONT_ROOT_CACHE_MS", "root-cache-ms",
           "how long GET / is served from memory (0: off)", millis(&Config::root_cache, 0, 600000),
           show(&Config::root_cache)},
          {"STOREFRONT_ROOT_MAX_COLLECTIONS", "root-max-collections",
           "collections GET / lists at most (collections_truncated beyond)",
           integer(&Config::root_max_collections, 1, 100000), show(&Config::root_max_collections)},
          {"STOREFRONT_ORDER_STUCK_SECONDS", "order-stuck-seconds",
           "the recovery sweep finishes or rolls back orders unsettled this long (at least the "
           "request deadline plus the MongoDB socket timeout)",
           integer(&Config::order_stuck_s, 1, 3600), show(&Config::order_stuck_s)},
      });
}

// The HTTP server, its threads, limits and timeouts.
void add_server_options(std::vector<Option>& out) {
  out.insert(
      out.end(),
      {
          {"STOREFRONT_BIND", "bind", "listen address", text(&Config::bind_address, false),
           show(&Config::bind_address)},
          {"PORT", "port", "listen port (0: any free port)", integer(&Config::port, 0, 65535),
           show(&Config::port)},
          {"STOREFRONT_IO_THREADS", "io-threads", "I/O threads (0: one per core)",
           integer(&Config::io_threads, 0, 256), show(&Config::io_threads)},
          {"STOREFRONT_WORKER_THREADS", "worker-threads", "threads for blocking database calls",
           integer(&Config::worker_threads, 1, 1024), show(&Config::worker_threads)},
          {"STOREFRONT_WORKER_QUEUE", "worker-queue", "queued requests before answering 503",
           integer(&Config::worker_queue, 1, 1000000), show(&Config::worker_queue)},
          {"STOREFRONT_MAX_IN_FLIGHT", "max-in-flight",
           "database-bound requests in flight before shedding with 503 (0: 2 x worker threads)",
           integer(&Config::max_in_flight, 0, 10000000),
           [](const Config& c) { return std::to_string(max_in_flight(c)); }},
          {"STOREFRONT_MAX_CONNECTIONS", "max-connections", "open connections before refusing",
           integer(&Config::max_connections, 1, 1000000), show(&Config::max_connections)},
          {"STOREFRONT_MAX_BODY_BYTES", "max-body-bytes", "request body limit (413 above)",
           integer(&Config::max_body_bytes, 1, 1 << 30), show(&Config::max_body_bytes)},
          {"STOREFRONT_MAX_HEADER_BYTES", "max-header-bytes", "request header limit (431 above)",
           integer(&Config::max_header_bytes, 512, 1 << 20), show(&Config::max_header_bytes)},
          {"STOREFRONT_READ_TIMEOUT_MS", "read-timeout-ms", "time to receive a whole request",
           millis(&Config::read_timeout, 1, 600000), show(&Config::read_timeout)},
          {"STOREFRONT_IDLE_TIMEOUT_MS", "idle-timeout-ms", "keep-alive idle time",
           millis(&Config::idle_timeout, 1, 3600000), show(&Config::idle_timeout)},
          {"STOREFRONT_REQUEST_TIMEOUT_MS", "request-timeout-ms", "deadline of a request",
           millis(&Config::request_timeout, 1, 600000), show(&Config::request_timeout)},
          {"STOREFRONT_READY_TIMEOUT_MS", "ready-timeout-ms", "deadline of the readiness ping",
           millis(&Config::ready_timeout, 1, 600000), show(&Config::ready_timeout)},
          {"STOREFRONT_HEALTH_INTERVAL_MS", "health-interval-ms",
           "how often the MongoDB health probe pings (readiness body, storefront_mongo_up)",
           millis(&Config::health_interval, 10, 600000), show(&Config::health_interval)},
          {"STOREFRONT_SHUTDOWN_GRACE_MS", "shutdown-grace-ms",
           "how long SIGTERM waits for in-flight requests",
           millis(&Config::shutdown_grace, 0, 600000), show(&Config::shutdown_grace)},
          {"STOREFRONT_DRAIN_DELAY_MS", "drain-delay-ms",
           "after SIGTERM, keep serving (no keep-alive) this long so the gateway notices first",
           millis(&Config::drain_delay, 0, 600000), show(&Config::drain_delay)},
          {"STOREFRONT_RETRY_AFTER_SECONDS", "retry-after-seconds", "Retry-After of 503 answers",
           integer(&Config::retry_after_s, 0, 3600), show(&Config::retry_after_s)},
      });
}

// Service discovery, logs and assets.
void add_operations_options(std::vector<Option>& out) {
  out.insert(
      out.end(),
      {
          {"CONSUL_HTTP_ADDR", "consul-http-addr", "Consul agent URL; unset: no registration",
           text(&Config::consul_http_addr), show_masked(&Config::consul_http_addr)},
          {"CONSUL_HTTP_TOKEN", "consul-token", "ACL token for the Consul agent API",
           text(&Config::consul_token),
           [](const Config& c) { return std::string(c.consul_token.empty() ? "" : "****"); }},
          {"STOREFRONT_ADVERTISE_ADDRESS", "advertise-address",
           "IP registered in Consul (default: detected)", text(&Config::advertise_address),
           show(&Config::advertise_address)},
          {"STOREFRONT_CHECK_INTERVAL_SECONDS", "check-interval-seconds",
           "interval of Consul's check of /health/ready",
           integer(&Config::check_interval_s, 1, 3600), show(&Config::check_interval_s)},
          {"STOREFRONT_INSTANCE_ID", "instance-id", "unique instance id (default: host-port)",
           text(&Config::instance_id), show(&Config::instance_id)},
          {"LOG_LEVEL", "log-level", "trace|debug|info|warn|error|critical|off", set_log_level,
           show(&Config::log_level)},
          {"STOREFRONT_ACCESS_LOG", "access-log", "one JSON line per request on stdout",
           boolean(&Config::access_log), show(&Config::access_log)},
          {"STOREFRONT_SWAGGER_DIR", "swagger-dir", "Swagger UI assets directory",
           text(&Config::swagger_dir), show(&Config::swagger_dir)},
      });
}

// One table, in the order --help lists it, built from its groups.
const std::vector<Option>& options() {
  static const std::vector<Option> kOptions = [] {
    std::vector<Option> all;
    add_storage_options(all);
    add_api_options(all);
    add_server_options(all);
    add_operations_options(all);
    return all;
  }();
  return kOptions;
}

std::optional<std::string> apply(Config& config, const Option& option, std::string_view value,
                                 std::string_view source) {
  if (auto problem = option.set(config, value)) {
    return fmt::format("invalid {} '{}': {}", source, value, *problem);
  }
  return std::nullopt;
}

}  // namespace

std::string mask_credentials(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  auto host_start = scheme + 3;
  auto at = url.find('@', host_start);
  auto slash = url.find('/', host_start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && at > slash)) {
    return std::string(url);
  }
  auto colon = url.find(':', host_start);
  std::string out(url.substr(0, host_start));
  if (colon != std::string_view::npos && colon < at) {
    out.append(url.substr(host_start, colon - host_start)).append(":****");
  } else {
    out.append("****");
  }
  out.append(url.substr(at));
  return out;
}

Result<Config> load_config(const Getenv& getenv, const std::vector<std::string>& args) {
  Config config;
  for (const auto& option : options()) {
    if (const char* value = getenv(option.env)) {
      if (auto error = apply(config, option, value, option.env)) {
        return Error{ErrorKind::kInvalid, *error};
      }
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return Error{ErrorKind::kInvalid, fmt::format("unexpected argument '{}'", arg)};
    }
    arg.remove_prefix(2);
    std::string name(arg.substr(0, arg.find('=')));
    std::string value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return Error{ErrorKind::kInvalid, fmt::format("flag --{} needs a value", name)};
    }
    const Option* found = nullptr;
    for (const auto& option : options()) {
      if (name == option.flag) found = &option;
    }
    if (!found) return Error{ErrorKind::kInvalid, fmt::format("unknown flag --{}", name)};
    if (auto error = apply(config, *found, value, "--" + name)) {
      return Error{ErrorKind::kInvalid, *error};
    }
  }
  if (config.io_threads == 0) {
    config.io_threads = std::max<std::int64_t>(1, std::thread::hardware_concurrency());
  }
  if (!config.redis_url.empty() && !config.redis_cluster_nodes.empty()) {
    return Error{ErrorKind::kInvalid, "set either REDIS_URL or REDIS_CLUSTER_NODES, not both"};
  }
  if (!config.redis_url.empty()) {
    if (auto r = redis::parse_redis_url(config.redis_url); !r) {
      return Error{ErrorKind::kInvalid, "invalid REDIS_URL: " + r.error().message};
    }
  }
  if (!config.redis_cluster_nodes.empty()) {
    if (auto r = redis::parse_cluster_nodes(config.redis_cluster_nodes); !r) {
      return Error{ErrorKind::kInvalid, "invalid REDIS_CLUSTER_NODES: " + r.error().message};
    }
  }
  if (auto secret = shipped_secret_in_use(config)) {
    return Error{ErrorKind::kInvalid,
                 fmt::format("refusing to start: {} is the shipped placeholder secret; set a "
                             "random one (docs/deployment.md#credentials)",
                             *secret)};
  }
  return config;
}

std::string describe(const Config& config) {
  std::string out;
  for (const auto& option : options()) {
    fmt::format_to(std::back_inserter(out), "  {:<36} {}\n", option.env, option.show(config));
  }
  return out;
}

std::int64_t max_in_flight(const Config& config) {
  return config.max_in_flight > 0 ? config.max_in_flight : 2 * config.worker_threads;
}

namespace {

bool shipped(std::string_view secret) {
  for (auto placeholder : kShippedSecrets) {
    if (secret == placeholder) return true;
  }
  return false;
}

// The password of "scheme://user:password@host/...", empty when none.
std::string_view url_password(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  url.remove_prefix(scheme + 3);
  const auto at = url.find('@');
  if (at == std::string_view::npos || at > url.find('/')) return {};
  const auto colon = url.substr(0, at).find(':');
  return colon == std::string_view::npos ? std::string_view{}
                                         : url.substr(colon + 1, at - colon - 1);
}

}  // namespace

std::optional<std::string> shipped_secret_in_use(const Config& config) {
  if (shipped(url_password(config.mongodb_url))) return "the MONGODB_URL password";
  if (!config.redis_url.empty()) {
    auto redis = redis::parse_redis_url(config.redis_url);
    if (redis && shipped(redis->password)) return "the REDIS_URL password";
  }
  if (shipped(config.admin_token)) return "STOREFRONT_ADMIN_TOKEN";
  if (shipped(config.write_token)) return "STOREFRONT_WRITE_TOKEN";
  if (shipped(config.consul_token)) return "CONSUL_HTTP_TOKEN";
  return std::nullopt;
}

std::string media_base(const Config& config) {
  std::string base = config.cdn_base_url.empty() ? config.media_base_url : config.cdn_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

std::string usage() {
  std::string out =
      "usage: storefront [serve] [--flag=value ...]\n"
      "       storefront fill --collection NAME --count N [--mongodb-url URL] [--database DB]\n"
      "       storefront fill --products N [--stock U] [--media-dir DIR] [--mongodb-url URL]\n"
      "       storefront audit [--mongodb-url URL] [--database DB]\n"
      "           checks every SKU's stock against the orders; exit 0 clean, 1 violation, 2 error\n"
      "       storefront probe-atomicity [--collection C] [--id ID] [--field F] [--clients N]\n"
      "           N clients take 1 unit at a time from {_id: ID, F: <int>} until it is empty;\n"
      "           prints {\"taken\": n, ...} (atomic servers never hand out more than F held)\n\n"
      "Settings (environment variable, flag):\n";
  for (const auto& option : options()) {
    fmt::format_to(std::back_inserter(out), "  {:<36} --{:<34} {}\n", option.env, option.flag,
                   option.help);
  }
  return out;
}

}  // namespace storefront::app
