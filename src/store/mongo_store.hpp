#pragma once

#include <cstdint>
#include <string>

#include "store/deployment_store.hpp"
#include "store/mongo_pool.hpp"
#include "store/user_store.hpp"

namespace storefront::store {

// The users collections and the deployment description on a shared
// MongoPool. Every operation carries maxTimeMS from the request deadline.
class MongoStore final : public UserStore, public DeploymentStore {
 public:
  explicit MongoStore(MongoPool& pool);

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

  // describe() counts at most `max` collections (the first in name order) and
  // flags the rest as truncated, so its cost does not grow with what clients
  // created (STOREFRONT_ROOT_MAX_COLLECTIONS).
  void limit_collections(std::size_t max) { max_collections_ = max; }

 private:
  void collect_collections(mongoc_client_t* client, DeploymentInfo& info, bool sharded,
                           Deadline deadline);

  MongoPool& pool_;
  std::size_t max_collections_ = 100;
};

}  // namespace storefront::store
