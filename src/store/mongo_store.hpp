#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/user_store.hpp"

typedef struct _mongoc_client_pool_t mongoc_client_pool_t;  // NOLINT
typedef struct _mongoc_client_t mongoc_client_t;            // NOLINT

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

// UserStore on a mongoc_client_pool_t. Reads use the primary, writes use
// w:majority with retryable writes, every operation carries maxTimeMS from
// the request deadline.
class MongoStore final : public UserStore {
 public:
  MongoStore(const MongoOptions& options, obs::Registry& registry);
  ~MongoStore() override;

  Result<std::string> list_users_json(std::string_view collection, int limit,
                                      Deadline deadline) override;
  Result<std::optional<std::string>> find_user_json(std::string_view collection,
                                                    std::string_view name,
                                                    Deadline deadline) override;
  Result<std::string> insert_user(std::string_view collection, const NewUser& user,
                                  Deadline deadline) override;
  Result<std::int64_t> count(std::string_view collection, Deadline deadline) override;
  Result<DeploymentInfo> describe(Deadline deadline) override;
  Status ping(Deadline deadline) override;

  // Atomically takes `units` from the integer `field` of the document `_id: id`
  // if it holds at least that many: true when taken, false when short (or no
  // such document). The primitive stock reservations build on.
  Result<bool> decrement_if_at_least(std::string_view collection, std::string_view id,
                                     std::string_view field, std::int64_t units, Deadline deadline);

  // Idempotent bulk fill used by `storefront fill`: upserts {age: i, name: prefix+i}.
  struct FillReport {
    std::int64_t inserted = 0;
    std::int64_t existing = 0;
  };
  Result<FillReport> fill(std::string_view collection, std::int64_t count, Deadline deadline);

 private:
  class Lease;
  struct Metrics;

  void collect_collections(mongoc_client_t* client, DeploymentInfo& info, bool sharded,
                           Deadline deadline);

  MongoOptions options_;
  mongoc_client_pool_t* pool_ = nullptr;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace storefront::store
