#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace storefront::app {

using std::chrono::milliseconds;

// Every setting of the service, loaded once from the environment and then
// from command-line flags (flags win). Names are the pymongo-api ones where
// they exist (MONGODB_URL, MONGODB_DATABASE_NAME, REDIS_URL, PORT).
struct Config {
  // MongoDB
  std::string mongodb_url = "mongodb://localhost:27017";
  std::string database = "somedb";
  milliseconds mongo_server_selection_timeout{2000};
  milliseconds mongo_connect_timeout{2000};
  milliseconds mongo_socket_timeout{5000};
  // Cache (empty URL: no cache)
  std::string redis_url;
  std::string redis_cluster_nodes;
  milliseconds redis_timeout{50};
  milliseconds redis_connect_timeout{50};
  std::int64_t redis_pool_size = 8;
  std::int64_t cache_ttl_s = 60;
  std::int64_t cache_l1_size = 0;
  milliseconds cache_l1_ttl{2000};
  bool cache_async_reads = true;
  std::int64_t cache_breaker_failures = 5;
  milliseconds cache_breaker_cooldown{2000};
  std::int64_t cache_stale_if_error_s = 600;
  // Catalog
  std::string cdn_base_url;  // empty: media_base_url
  std::string media_base_url = "/media";
  std::int64_t catalog_max_age_s = 30;
  std::string admin_token;  // empty: admin API disabled (403)
  // Users API and GET / (issue 14)
  std::string collections = "*";  // STOREFRONT_COLLECTIONS: "*" or a comma list
  std::string write_token;        // empty: POST /{collection}/users is open
  milliseconds root_cache{2000};  // how long GET / is served from memory (0: never)
  std::int64_t root_max_collections = 100;
  // Orders
  std::int64_t order_stuck_s = 15;  // the recovery sweep takes orders unsettled this long
  // HTTP server
  std::string bind_address = "0.0.0.0";
  std::int64_t port = 8080;
  std::int64_t io_threads = 0;  // 0: one per core
  std::int64_t worker_threads = 16;
  std::int64_t worker_queue = 1024;
  std::int64_t max_in_flight = 0;  // 0: 2 * worker_threads (see max_in_flight())
  std::int64_t max_connections = 10000;
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t max_header_bytes = 16 << 10;
  milliseconds read_timeout{10000};
  milliseconds idle_timeout{60000};
  milliseconds request_timeout{5000};
  milliseconds ready_timeout{1000};
  milliseconds health_interval{1000};
  milliseconds shutdown_grace{10000};
  milliseconds drain_delay{0};
  std::int64_t retry_after_s = 1;
  // Service registration (empty: none)
  std::string consul_http_addr;
  std::string consul_token;
  std::string advertise_address;
  std::string instance_id;
  std::int64_t check_interval_s = 5;  // Consul's HTTP check of /health/ready
  // Misc
  std::string log_level = "info";
  bool access_log = true;
  std::string swagger_dir;  // empty: <binary dir>/swagger-ui
};

using Getenv = std::function<const char*(const char*)>;

// Errors name the variable or flag and say what is expected.
Result<Config> load_config(const Getenv& getenv, const std::vector<std::string>& args);

// One line per setting, credentials in URLs masked.
std::string describe(const Config& config);

// "mongodb://user:secret@h/" -> "mongodb://user:****@h/"
std::string mask_credentials(std::string_view url);

// The usage text listing every variable and flag.
std::string usage();

// The concurrency limit of the database-bound routes: STOREFRONT_MAX_IN_FLIGHT,
// or twice the worker threads (a queue of at most one more task per worker).
std::int64_t max_in_flight(const Config& config);

// The secrets shipped as placeholders (.env.example): a service configured
// with one of them refuses to start.
inline constexpr std::string_view kShippedSecrets[] = {"change-me"};

// nullopt, or which setting holds a shipped placeholder secret (never the value).
std::optional<std::string> shipped_secret_in_use(const Config& config);

// Where media URLs point: CDN_BASE_URL, else MEDIA_BASE_URL, without a
// trailing '/'.
std::string media_base(const Config& config);

}  // namespace storefront::app
