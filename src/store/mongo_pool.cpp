#include "store/mongo_pool.hpp"

#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <stdexcept>

#include "obs/metrics.hpp"
#include "store/mongo_errors.hpp"

namespace storefront::store {

void CollectionDeleter::operator()(mongoc_collection_t* c) const {
  mongoc_collection_destroy(c);
}

void CursorDeleter::operator()(mongoc_cursor_t* c) const {
  mongoc_cursor_destroy(c);
}

BsonPtr max_time_opts(Deadline deadline) {
  return BsonPtr(BCON_NEW("maxTimeMS", BCON_INT64(deadline.remaining_ms())));
}

struct MongoPool::Metrics {
  explicit Metrics(obs::Registry& registry)
      : duration(registry.histogram("storefront_mongo_operation_duration_seconds",
                                    "MongoDB operation time by operation.", {"operation"})),
        errors(registry.counter("storefront_mongo_errors_total",
                                "MongoDB operation failures by error kind.", {"kind"})),
        in_use(registry.gauge("storefront_mongo_pool_in_use", "Pooled MongoDB clients in use.")
                   .with({})),
        up(registry.gauge("storefront_mongo_up", "1 when the last MongoDB ping succeeded.")
               .with({})),
        server_selection_failures(
            registry
                .counter("storefront_mongo_server_selection_failures_total",
                         "Operations that found no usable MongoDB server in time.")
                .with({})) {
    // Every kind exists from the start, so rates and ratios are 0, not empty.
    for (auto kind : {ErrorKind::kUnavailable, ErrorKind::kTimeout, ErrorKind::kInvalid,
                      ErrorKind::kDuplicate, ErrorKind::kInternal}) {
      errors.with({to_string(kind)});
    }
  }

  obs::Family<obs::Histogram>& duration;
  obs::Family<obs::Counter>& errors;
  obs::Gauge& in_use;
  obs::Gauge& up;
  obs::Counter& server_selection_failures;
};

MongoPool::Lease::Lease(MongoPool& pool, const char* operation)
    : pool_(pool), operation_(operation), started_(Clock::now()) {
  client_ = mongoc_client_pool_pop(pool_.pool_);
  pool_.metrics_->in_use.add(1);
}

MongoPool::Lease::~Lease() {
  mongoc_client_pool_push(pool_.pool_, client_);
  pool_.metrics_->in_use.add(-1);
  pool_.metrics_->duration.with({operation_})
      .observe(std::chrono::duration<double>(Clock::now() - started_).count());
}

CollectionPtr MongoPool::Lease::collection(std::string_view name) const {
  return CollectionPtr(mongoc_client_get_collection(client_, pool_.options_.database.c_str(),
                                                    std::string(name).c_str()));
}

Error MongoPool::Lease::fail(const bson_error_t& error) const {
  auto e = mongo_error(error, operation_);
  pool_.metrics_->errors.with({to_string(e.kind)}).inc();
  if (error.domain == MONGOC_ERROR_SERVER_SELECTION) {
    pool_.metrics_->server_selection_failures.inc();
  }
  return e;
}

Result<std::optional<std::string>> MongoPool::Lease::find_one_json(
    mongoc_collection_t* coll, const bson_t* filter, const bson_t* opts,
    const std::function<void(std::string&, const struct _bson_t*)>& render) const {
  CursorPtr cursor(mongoc_collection_find_with_opts(coll, filter, opts, nullptr));
  const bson_t* doc = nullptr;
  std::optional<std::string> found;
  if (mongoc_cursor_next(cursor.get(), &doc)) {
    found.emplace();
    render(*found, doc);
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return fail(error);
  return found;
}

Result<bool> MongoPool::Lease::modify_one(mongoc_collection_t* coll, const bson_t* query,
                                          const bson_t* update, Deadline deadline, bool upsert,
                                          bson_t* after) const {
  mongoc_find_and_modify_opts_t* opts = mongoc_find_and_modify_opts_new();
  mongoc_find_and_modify_opts_set_update(opts, update);
  auto flags = upsert ? MONGOC_FIND_AND_MODIFY_UPSERT : MONGOC_FIND_AND_MODIFY_NONE;
  if (after)
    flags = static_cast<mongoc_find_and_modify_flags_t>(flags | MONGOC_FIND_AND_MODIFY_RETURN_NEW);
  mongoc_find_and_modify_opts_set_flags(opts, flags);
  mongoc_find_and_modify_opts_set_max_time_ms(opts,
                                              static_cast<std::uint32_t>(deadline.remaining_ms()));
  bson_error_t error;
  Reply reply;
  const bool ok =
      mongoc_collection_find_and_modify_with_opts(coll, query, opts, &reply.doc, &error);
  mongoc_find_and_modify_opts_destroy(opts);
  if (!ok) return fail(error);
  // "value" is the document (before, or after with RETURN_NEW), null when nothing matched.
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &reply.doc, "value") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
    return false;
  }
  if (after) {
    std::uint32_t len = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&it, &len, &data);
    bson_t view;
    bson_init_static(&view, data, len);
    bson_reinit(after);
    bson_concat(after, &view);
  }
  return true;
}

Result<Unit> validate_mongo_url(const std::string& url) {
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(url.c_str(), &error);
  if (!uri) return Error{ErrorKind::kInvalid, error.message};
  mongoc_uri_destroy(uri);
  return Unit{};
}

namespace {

// libmongoc logs go through spdlog, so they share its format and level.
void log_to_spdlog(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  // Servers without sessions (the mongo-java-server stand-in) answer the
  // driver's endSessions at shutdown with an error that means nothing to us.
  if (std::strstr(message, "endSessions")) return;
  switch (level) {
    case MONGOC_LOG_LEVEL_ERROR:
    case MONGOC_LOG_LEVEL_CRITICAL:
      spdlog::error("mongoc {}: {}", domain, message);
      break;
    case MONGOC_LOG_LEVEL_WARNING:
      spdlog::warn("mongoc {}: {}", domain, message);
      break;
    default:
      spdlog::debug("mongoc {}: {}", domain, message);
  }
}

}  // namespace

MongoDriver::MongoDriver() {
  mongoc_init();
  mongoc_log_set_handler(log_to_spdlog, nullptr);
}
MongoDriver::~MongoDriver() {
  mongoc_cleanup();
}

MongoPool::MongoPool(const MongoOptions& options, obs::Registry& registry)
    : options_(options), metrics_(std::make_unique<Metrics>(registry)) {
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(options_.url.c_str(), &error);
  if (!uri) throw std::invalid_argument(error.message);
  // Options given in the URL win; these are the defaults that keep every
  // operation bounded in time.
  auto set_default_ms = [uri](const char* key, std::chrono::milliseconds v) {
    if (!mongoc_uri_has_option(uri, key)) {
      mongoc_uri_set_option_as_int32(uri, key, static_cast<std::int32_t>(v.count()));
    }
  };
  set_default_ms(MONGOC_URI_SERVERSELECTIONTIMEOUTMS, options_.server_selection_timeout);
  set_default_ms(MONGOC_URI_CONNECTTIMEOUTMS, options_.connect_timeout);
  set_default_ms(MONGOC_URI_SOCKETTIMEOUTMS, options_.socket_timeout);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_RETRYWRITES)) {
    mongoc_uri_set_option_as_bool(uri, MONGOC_URI_RETRYWRITES, true);
  }
  if (!mongoc_uri_has_option(uri, MONGOC_URI_W)) {
    mongoc_write_concern_t* wc = mongoc_write_concern_new();
    mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
    mongoc_uri_set_write_concern(uri, wc);
    mongoc_write_concern_destroy(wc);
  }
  if (!mongoc_uri_get_appname(uri)) mongoc_uri_set_appname(uri, "storefront");
  pool_ = mongoc_client_pool_new(uri);
  mongoc_uri_destroy(uri);
  if (!pool_) throw std::invalid_argument("cannot create a MongoDB client pool for this URL");
  mongoc_client_pool_set_error_api(pool_, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_max_size(pool_, static_cast<std::uint32_t>(options_.max_pool_size));
}

MongoPool::~MongoPool() {
  if (pool_) mongoc_client_pool_destroy(pool_);
}

void MongoPool::set_up(bool up) {
  metrics_->up.set(up ? 1 : 0);
}

}  // namespace storefront::store
