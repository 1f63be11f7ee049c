#include "app/application.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "api/handlers.hpp"
#include "cache/redis_config.hpp"
#include "cache/response_cache.hpp"
#include "common/worker_pool.hpp"
#include "discovery/consul_registrar.hpp"
#include "http/server.hpp"
#include "obs/http_metrics.hpp"
#include "obs/log.hpp"
#include "obs/process_metrics.hpp"
#include "store/mongo_store.hpp"

namespace storefront::app {

store::MongoOptions mongo_options(const Config& config) {
  store::MongoOptions o;
  o.url = config.mongodb_url;
  o.database = config.database;
  o.server_selection_timeout = config.mongo_server_selection_timeout;
  o.connect_timeout = config.mongo_connect_timeout;
  o.socket_timeout = config.mongo_socket_timeout;
  // One client per worker plus headroom, so a pop never waits on the pool.
  o.max_pool_size = static_cast<std::size_t>(config.worker_threads) + 4;
  return o;
}

namespace {

http::ServerOptions server_options(const Config& config) {
  http::ServerOptions o;
  o.bind_address = config.bind_address;
  o.port = static_cast<std::uint16_t>(config.port);
  o.io_threads = static_cast<std::size_t>(config.io_threads);
  o.max_connections = static_cast<std::size_t>(config.max_connections);
  o.max_body_bytes = static_cast<std::size_t>(config.max_body_bytes);
  o.max_header_bytes = static_cast<std::size_t>(config.max_header_bytes);
  o.read_timeout = config.read_timeout;
  o.idle_timeout = config.idle_timeout;
  // The API answers at the request deadline itself; this margin only catches
  // a driver call stuck beyond its own timeouts.
  o.handler_timeout = config.request_timeout + std::chrono::milliseconds(1000);
  return o;
}

// Signals are taken synchronously by the main thread; every other thread,
// including the driver's, inherits the blocked mask.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void wait_for_drain(const http::Server& server, std::chrono::milliseconds grace) {
  const auto until = Clock::now() + grace;
  while (server.in_flight() > 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (server.in_flight() > 0) {
    spdlog::warn("shutdown grace period over with {} requests in flight", server.in_flight());
  }
}

// The Redis client and response cache, or null when no Redis is configured.
std::unique_ptr<cache::ResponseCache> make_cache(const Config& config, obs::Registry& registry) {
  if (config.redis_url.empty() && config.redis_cluster_nodes.empty()) return nullptr;
  auto parsed = config.redis_url.empty() ? cache::parse_cluster_nodes(config.redis_cluster_nodes)
                                         : cache::parse_redis_url(config.redis_url);
  if (!parsed) throw std::invalid_argument(parsed.error().message);  // validated by load_config
  cache::RedisConfig redis = parsed.value();
  redis.connect_timeout = config.redis_connect_timeout;
  redis.command_timeout = config.redis_timeout;
  redis.pool_size = static_cast<std::size_t>(config.redis_pool_size);
  cache::CacheSettings settings;
  settings.ttl = std::chrono::seconds(config.cache_ttl_s);
  settings.l1_size = static_cast<std::size_t>(config.cache_l1_size);
  settings.l1_ttl = config.cache_l1_ttl;
  settings.async_reads = config.cache_async_reads;
  settings.breaker_failures = static_cast<int>(config.cache_breaker_failures);
  settings.breaker_cooldown = config.cache_breaker_cooldown;
  spdlog::info("cache: {}", redis.describe());
  return std::make_unique<cache::ResponseCache>(cache::make_redis_client(redis, registry), settings,
                                                registry);
}

std::string default_instance_id(const Config& config) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return fmt::format("storefront-{}-{}", host, config.port == 0 ? getpid() : config.port);
}

std::unique_ptr<discovery::ConsulRegistrar> start_registration(const Config& config,
                                                               const std::string& instance_id,
                                                               std::uint16_t port) {
  if (config.consul_http_addr.empty()) return nullptr;
  discovery::RegistrationOptions o;
  o.agent_url = config.consul_http_addr;
  o.token = config.consul_token;
  o.instance_id = instance_id;
  o.address = config.advertise_address;
  o.port = port;
  o.version = STOREFRONT_VERSION;
  o.check_interval = std::chrono::seconds(config.check_interval_s);
  auto registrar = std::make_unique<discovery::ConsulRegistrar>(std::move(o));
  if (auto status = registrar->start(); !status) {
    spdlog::error("consul registration disabled: {}", status.error().message);
    return nullptr;
  }
  return registrar;
}

}  // namespace

int serve(const Config& config, const std::string& binary_dir) {
  const sigset_t signals = block_shutdown_signals();
  obs::init_logging(config.log_level, config.access_log);
  spdlog::info("storefront {} starting with:\n{}", STOREFRONT_VERSION, describe(config));

  store::MongoDriver driver;
  obs::Registry registry;
  obs::HttpMetrics http_metrics(registry);
  obs::register_process_metrics(registry, STOREFRONT_VERSION);

  store::MongoStore store(mongo_options(config), registry);
  WorkerPool workers(static_cast<std::size_t>(config.worker_threads),
                     static_cast<std::size_t>(config.worker_queue));
  registry.callback("storefront_worker_pool_in_use", "Workers running a blocking call.", "gauge",
                    [&workers] { return static_cast<double>(workers.in_use()); });
  registry.callback("storefront_worker_pool_queued", "Requests waiting for a worker.", "gauge",
                    [&workers] { return static_cast<double>(workers.queued()); });

  const std::string swagger_dir =
      config.swagger_dir.empty() ? binary_dir + "/swagger-ui" : config.swagger_dir;
  auto assets = api::StaticFiles::load(swagger_dir);
  if (assets.empty())
    spdlog::warn("no Swagger UI assets in {}: /docs will not render", swagger_dir);

  api::ApiOptions api_options;
  api_options.database = config.database;
  api_options.request_timeout = config.request_timeout;
  api_options.ready_timeout = config.ready_timeout;
  api_options.retry_after_s = static_cast<int>(config.retry_after_s);
  api_options.version = STOREFRONT_VERSION;
  api_options.instance_id =
      config.instance_id.empty() ? default_instance_id(config) : config.instance_id;
  auto response_cache = make_cache(config, registry);
  api::Api api(
      api_options, store, workers, http_metrics, [&registry] { return registry.render(); },
      std::move(assets), response_cache.get());

  http::Server server(server_options(config), api, http_metrics);
  std::uint16_t port = 0;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", config.bind_address, config.port, e.what());
    return 1;
  }
  spdlog::info("listening on {}:{}", config.bind_address, port);
  auto registrar = start_registration(config, api_options.instance_id, port);

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received {}, draining (grace {} ms)", strsignal(signal),
               config.shutdown_grace.count());
  // Fail readiness and leave the gateway's pool first, then drain.
  api.set_draining();
  if (registrar) registrar->deregister();
  server.stop_accepting();
  wait_for_drain(server, config.shutdown_grace);
  server.stop();
  workers.stop();
  spdlog::info("stopped");
  return 0;
}

int fill(const Config& config, const std::string& collection, std::int64_t count) {
  obs::init_logging(config.log_level, false);
  store::MongoDriver driver;
  obs::Registry registry;
  auto options = mongo_options(config);
  // A bulk fill legitimately takes longer than one request may.
  options.socket_timeout = std::max(options.socket_timeout, std::chrono::milliseconds(120000));
  store::MongoStore store(options, registry);
  auto report = store.fill(collection, count, Deadline::after(std::chrono::minutes(10)));
  if (!report) {
    spdlog::error("fill failed: {}", report.error().message);
    return 1;
  }
  auto total = store.count(collection, Deadline::after(std::chrono::seconds(30)));
  spdlog::info("fill {}.{}: {} inserted, {} already present, {} documents in total",
               config.database, collection, report->inserted, report->existing,
               total ? *total : -1);
  return 0;
}

}  // namespace storefront::app
