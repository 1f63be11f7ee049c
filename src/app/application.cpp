#include "app/application.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "api/handlers.hpp"
#include "app/fill.hpp"
#include "app/orders_app.hpp"
#include "app/signals.hpp"
#include "cache/cached_catalog.hpp"
#include "cache/cached_users.hpp"
#include "cache/read_through.hpp"
#include "cache/response_cache.hpp"
#include "common/offloader.hpp"
#include "common/worker_pool.hpp"
#include "discovery/consul_registrar.hpp"
#include "http/server.hpp"
#include "obs/http_metrics.hpp"
#include "obs/log.hpp"
#include "obs/process_metrics.hpp"
#include "redis/config.hpp"
#include "store/catalog.hpp"
#include "store/health_probe.hpp"
#include "store/mongo_product_store.hpp"
#include "store/mongo_store.hpp"
#include "store/users.hpp"

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
  auto parsed = config.redis_url.empty() ? redis::parse_cluster_nodes(config.redis_cluster_nodes)
                                         : redis::parse_redis_url(config.redis_url);
  if (!parsed) throw std::invalid_argument(parsed.error().message);  // validated by load_config
  redis::RedisConfig redis = parsed.value();
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
  return std::make_unique<cache::ResponseCache>(redis::make_redis_client(redis, registry), settings,
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

// The stores the API calls: direct over MongoDB, with the caching
// decorators in front when Redis is configured (api -> cache -> store).
struct Stores {
  Stores(const Config& config, store::MongoPool& pool, Offloader& offloader,
         cache::ResponseCache* cache)
      : mongo(pool),
        products(pool, media_base(config)),
        direct_users(mongo, offloader, 1000),
        direct_catalog(products, offloader) {
    if (!cache) return;
    reads.emplace(*cache, offloader);
    cached_users.emplace(*reads, direct_users, config.database);
    cached_catalog.emplace(*reads, direct_catalog, config.database,
                           std::chrono::seconds(config.cache_stale_if_error_s));
  }
  store::Users& users() {
    return cached_users ? static_cast<store::Users&>(*cached_users) : direct_users;
  }
  store::Catalog& catalog() {
    return cached_catalog ? static_cast<store::Catalog&>(*cached_catalog) : direct_catalog;
  }

  store::MongoStore mongo;
  store::MongoProductStore products;
  store::DirectUsers direct_users;
  store::DirectCatalog direct_catalog;
  std::optional<cache::ReadThrough> reads;
  std::optional<cache::CachedUsers> cached_users;
  std::optional<cache::CachedCatalog> cached_catalog;
};

// storefront_dependency_up{dependency}: what /health/ready reports, as metrics.
std::function<void(store::HealthProbe::State)> dependency_metrics(
    obs::Registry& registry, const cache::ResponseCache* cache) {
  auto& family = registry.gauge(
      "storefront_dependency_up",
      "1 when the dependency is usable (mongo: the health probe's last ping; redis: the cache "
      "breaker is not open), as /health/ready reports it.",
      {"dependency"});
  auto& mongo = family.with({"mongo"});
  auto* redis = cache ? &family.with({"redis"}) : nullptr;
  return [&mongo, redis, cache](store::HealthProbe::State state) {
    mongo.set(state == store::HealthProbe::State::kUp ? 1 : 0);
    if (redis) redis->set(cache->status().enabled ? 1 : 0);
  };
}

void register_offload_metrics(obs::Registry& registry, Offloader& offloader, WorkerPool& workers) {
  registry.callback("storefront_offload_in_flight",
                    "Database-bound tasks accepted and not finished (queued or running); "
                    "new ones are shed at storefront_offload_limit.",
                    "gauge", [&offloader] { return static_cast<double>(offloader.in_flight()); });
  registry.callback("storefront_offload_limit", "STOREFRONT_MAX_IN_FLIGHT in effect.", "gauge",
                    [&offloader] { return static_cast<double>(offloader.max_in_flight()); });
  registry.callback("storefront_worker_pool_in_use", "Workers running a blocking call.", "gauge",
                    [&workers] { return static_cast<double>(workers.in_use()); });
  registry.callback("storefront_worker_pool_queued", "Requests waiting for a worker.", "gauge",
                    [&workers] { return static_cast<double>(workers.queued()); });
}

api::ApiOptions make_api_options(const Config& config) {
  api::ApiOptions api_options;
  api_options.database = config.database;
  api_options.request_timeout = config.request_timeout;
  api_options.retry_after_s = static_cast<int>(config.retry_after_s);
  api_options.version = STOREFRONT_VERSION;
  api_options.instance_id =
      config.instance_id.empty() ? default_instance_id(config) : config.instance_id;
  api_options.catalog.max_age = std::chrono::seconds(config.catalog_max_age_s);
  api_options.catalog.admin_token = config.admin_token;
  // Validated by load_config.
  api_options.collections = api::CollectionPolicy::parse(config.collections).value();
  api_options.write_token = config.write_token;
  api_options.root_cache_ttl = config.root_cache;
  return api_options;
}

void wait_for_shutdown_signal(const sigset_t& signals, const Config& config) {
  int signal = 0;
  sigwait(&signals, &signal);
  // sigdescr_np: the text strsignal gives, without its shared buffer (not
  // thread-safe, concurrency-mt-unsafe).
  spdlog::info("received {}, draining (grace {} ms)", sigdescr_np(signal),
               config.shutdown_grace.count());
}

// Fail readiness and leave the gateway's pool first, then drain.
void drain(const Config& config, api::Api& api, discovery::ConsulRegistrar* registrar,
           http::Server& server) {
  api.set_draining();
  if (registrar) registrar->deregister();
  // Closing idle keep-alive connections while the gateway still routes here
  // races with a request it is sending on one: a POST lost that way cannot be
  // retried. So serve on, closing each connection after its response, until the
  // gateway has seen the failed readiness / deregistration, then stop.
  if (config.drain_delay.count() > 0) {
    server.close_after_each_response();
    std::this_thread::sleep_for(config.drain_delay);
  }
  server.stop_accepting();
  wait_for_drain(server, config.shutdown_grace);
  server.stop();
}

api::StaticFiles load_docs_assets(const Config& config, const std::string& binary_dir) {
  const std::string swagger_dir =
      config.swagger_dir.empty() ? binary_dir + "/swagger-ui" : config.swagger_dir;
  auto assets = api::StaticFiles::load(swagger_dir);
  if (assets.empty())
    spdlog::warn("no Swagger UI assets in {}: /docs will not render", swagger_dir);
  return assets;
}

// The bound port, or nullopt (logged) when the address cannot be listened on.
std::optional<std::uint16_t> start_listening(http::Server& server, const Config& config) {
  try {
    return server.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", config.bind_address, config.port, e.what());
    return std::nullopt;
  }
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

  store::MongoPool pool(mongo_options(config), registry);
  WorkerPool workers(static_cast<std::size_t>(config.worker_threads),
                     static_cast<std::size_t>(config.worker_queue));
  Offloader offloader(
      workers, [&http_metrics] { http_metrics.worker_rejected.inc(); },
      static_cast<std::size_t>(max_in_flight(config)));
  register_offload_metrics(registry, offloader, workers);

  auto assets = load_docs_assets(config, binary_dir);
  auto response_cache = make_cache(config, registry);
  Stores stores(config, pool, offloader, response_cache.get());
  stores.mongo.limit_collections(static_cast<std::size_t>(config.root_max_collections));
  store::HealthProbe health(stores.mongo, config.health_interval, config.ready_timeout,
                            dependency_metrics(registry, response_cache.get()));
  stores.direct_catalog.fail_fast_when(
      [&health] { return health.mongo() == store::HealthProbe::State::kDown; });
  health.start();

  const api::ApiOptions api_options = make_api_options(config);
  OrderServices orders(config, pool, registry, api_options.instance_id);
  http::Server* server_ptr = nullptr;
  api::Api api(api_options, api::ApiDeps{stores.users(), stores.catalog(), stores.mongo, offloader,
                                         http_metrics, [&registry] { return registry.render(); },
                                         std::move(assets), response_cache.get(), &health,
                                         [&server_ptr, &config] {
                                           return server_ptr && server_ptr->connections() >=
                                                                    static_cast<std::size_t>(
                                                                        config.max_connections);
                                         },
                                         &orders.deps()});

  // The sweep's first run (recovery after a crash) starts before the port
  // opens.
  orders.start();
  http::Server server(server_options(config), api, http_metrics);
  server_ptr = &server;
  const auto port = start_listening(server, config);
  if (!port) return 1;
  spdlog::info("listening on {}:{}", config.bind_address, *port);
  auto registrar = start_registration(config, api_options.instance_id, *port);

  wait_for_shutdown_signal(signals, config);
  drain(config, api, registrar.get(), server);
  workers.stop();
  orders.stop();
  health.stop();
  spdlog::info("stopped");
  return 0;
}

namespace {

// Writes the images the generated products name, skipping files already there.
Status write_media(const std::vector<std::pair<std::string, store::ProductInput>>& products,
                   const std::string& dir, std::int64_t& written) {
  namespace fs = std::filesystem;
  for (const auto& [sku, product] : products) {
    for (std::size_t i = 0; i < product.media.size(); ++i) {
      const auto& media = product.media[i];
      const fs::path path = fs::path(dir) / media.path;
      std::error_code ec;
      if (fs::exists(path, ec)) continue;
      fs::create_directories(path.parent_path(), ec);
      if (ec) return Error{ErrorKind::kInternal, "cannot create " + path.parent_path().string()};
      const auto seed = static_cast<std::uint32_t>(std::hash<std::string>{}(sku) + i * 0x9e3779b9U);
      const auto png = generated_png(static_cast<int>(media.width.value_or(64)),
                                     static_cast<int>(media.height.value_or(64)), seed & 0xffffff);
      std::ofstream out(path, std::ios::binary);
      out.write(png.data(), static_cast<std::streamsize>(png.size()));
      if (!out) return Error{ErrorKind::kInternal, "cannot write " + path.string()};
      ++written;
    }
  }
  return ok_status();
}

int fill_products(const Config& config, store::MongoPool& pool, std::int64_t count,
                  const std::string& media_dir, std::optional<std::int64_t> stock) {
  store::MongoProductStore products(pool, media_base(config));
  auto generated = store::generated_products(count);
  auto report = products.fill(generated, Deadline::after(std::chrono::minutes(10)));
  if (!report) {
    spdlog::error("fill products failed: {}", report.error().message);
    return 1;
  }
  std::int64_t written = 0;
  if (!media_dir.empty()) {
    if (auto st = write_media(generated, media_dir, written); !st) {
      spdlog::error("fill media failed: {}", st.error().message);
      return 1;
    }
  }
  spdlog::info("fill {}.products: {} inserted, {} already present; {} media files written to {}",
               config.database, report->inserted, report->existing, written,
               media_dir.empty() ? "(no --media-dir)" : media_dir);
  return stock ? fill_stock(pool, generated, *stock) : 0;
}

}  // namespace

namespace {

store::MongoOptions command_options(const Config& config) {
  auto options = mongo_options(config);
  // A bulk fill or an audit legitimately takes longer than one request may.
  options.socket_timeout = std::max(options.socket_timeout, std::chrono::milliseconds(120000));
  return options;
}

}  // namespace

CommandMongo::CommandMongo(const Config& config)
    : logging_((obs::init_logging(config.log_level, false), true)),
      pool_(command_options(config), registry_) {}

int fill(const Config& config, const FillArgs& args) {
  CommandMongo mongo(config);
  store::MongoPool& pool = mongo.pool();
  if (args.users) {
    store::MongoStore store(pool);
    auto report =
        store.fill(args.collection, args.count, Deadline::after(std::chrono::minutes(10)));
    if (!report) {
      spdlog::error("fill failed: {}", report.error().message);
      return 1;
    }
    auto total = store.count(args.collection, Deadline::after(std::chrono::seconds(30)));
    spdlog::info("fill {}.{}: {} inserted, {} already present, {} documents in total",
                 config.database, args.collection, report->inserted, report->existing,
                 total ? *total : -1);
  }
  if (args.products) {
    return fill_products(config, pool, *args.products, args.media_dir, args.stock);
  }
  return 0;
}

}  // namespace storefront::app
