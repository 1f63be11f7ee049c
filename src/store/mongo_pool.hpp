#pragma once

#include <bson/bson.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/deadline.hpp"
#include "common/result.hpp"

typedef struct _mongoc_client_pool_t mongoc_client_pool_t;  // NOLINT
typedef struct _mongoc_client_t mongoc_client_t;            // NOLINT
typedef struct _mongoc_collection_t mongoc_collection_t;    // NOLINT
typedef struct _mongoc_cursor_t mongoc_cursor_t;            // NOLINT

namespace storefront::obs {
class Registry;
}

namespace storefront::store {

struct MongoOptions {
  std::string url;
  std::string database;
  std::chrono::milliseconds server_selection_timeout{2000};
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds socket_timeout{5000};
  std::size_t max_pool_size = 32;
};

// Validates a MongoDB connection string; the error text is for the user.
Result<Unit> validate_mongo_url(const std::string& url);

// The process-wide libmongoc init/cleanup.
class MongoDriver {
 public:
  MongoDriver();
  ~MongoDriver();
  MongoDriver(const MongoDriver&) = delete;
  MongoDriver& operator=(const MongoDriver&) = delete;
};

// Owns a heap bson_t. (unique_ptr<bson_t> trips -Wignored-attributes: bson_t is over-aligned.)
class BsonPtr {
 public:
  explicit BsonPtr(bson_t* b) : b_(b) {}
  ~BsonPtr() {
    if (b_) bson_destroy(b_);
  }
  BsonPtr(BsonPtr&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
  BsonPtr(const BsonPtr&) = delete;
  BsonPtr& operator=(const BsonPtr&) = delete;
  BsonPtr& operator=(BsonPtr&&) = delete;
  bson_t* get() const { return b_; }

 private:
  bson_t* b_;
};

struct CollectionDeleter {
  void operator()(mongoc_collection_t* c) const;
};
using CollectionPtr = std::unique_ptr<mongoc_collection_t, CollectionDeleter>;

struct CursorDeleter {
  void operator()(mongoc_cursor_t* c) const;
};
using CursorPtr = std::unique_ptr<mongoc_cursor_t, CursorDeleter>;

// A reply bson_t that is always initialised and always destroyed.
struct Reply {
  bson_t doc;
  Reply() { bson_init(&doc); }
  ~Reply() { bson_destroy(&doc); }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
};

BsonPtr max_time_opts(Deadline deadline);

// The mongoc_client_pool_t every collection store of one process shares,
// with the storefront_mongo_* metrics. Reads use the primary, writes use
// w:majority with retryable writes, unless the URL says otherwise.
class MongoPool {
 public:
  MongoPool(const MongoOptions& options, obs::Registry& registry);
  ~MongoPool();
  MongoPool(const MongoPool&) = delete;
  MongoPool& operator=(const MongoPool&) = delete;

  const MongoOptions& options() const { return options_; }
  // storefront_mongo_up: set by whoever pings.
  void set_up(bool up);

  // A client borrowed from the pool for one operation, with its timing.
  class Lease {
   public:
    Lease(MongoPool& pool, const char* operation);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    mongoc_client_t* client() const { return client_; }
    CollectionPtr collection(std::string_view name) const;
    // Maps the error (and counts it in the metrics).
    Error fail(const bson_error_t& error) const;
    // The first document of find(filter, opts) in `coll`, as JSON written by
    // `render`; nullopt when nothing matches. (`struct _bson_t`, not `bson_t`:
    // the typedef's alignment attribute trips -Wignored-attributes here.)
    Result<std::optional<std::string>> find_one_json(
        mongoc_collection_t* coll, const bson_t* filter, const bson_t* opts,
        const std::function<void(std::string&, const struct _bson_t*)>& render) const;
    // One findAndModify: `update` applied to the first document matching
    // `query`, atomically (the conditional single-document update stock and
    // orders build on). True when a document matched (or was upserted); the
    // document after the update goes to `after` when given.
    Result<bool> modify_one(mongoc_collection_t* coll, const struct _bson_t* query,
                            const struct _bson_t* update, Deadline deadline, bool upsert = false,
                            struct _bson_t* after = nullptr) const;

   private:
    MongoPool& pool_;
    const char* operation_;
    Clock::time_point started_;
    mongoc_client_t* client_ = nullptr;
  };

 private:
  struct Metrics;

  MongoOptions options_;
  mongoc_client_pool_t* pool_ = nullptr;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace storefront::store
