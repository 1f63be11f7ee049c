#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/deadline.hpp"
#include "common/result.hpp"

namespace storefront::store {

struct NewUser {
  std::int64_t age = 0;
  std::string name;
};

// The users collections of pymongo-api. Blocking: call from worker threads
// only. JSON is rendered straight from BSON, so users come back serialized.
class UserStore {
 public:
  virtual ~UserStore() = default;
  // {"users":[...]} with at most `limit` users.
  virtual Result<std::string> list_users_json(std::string_view collection, int limit,
                                              Deadline deadline) = 0;
  // One user object, or nullopt when no user has this name.
  virtual Result<std::optional<std::string>> find_user_json(std::string_view collection,
                                                            std::string_view name,
                                                            Deadline deadline) = 0;
  // Inserts and returns the stored user as a JSON object including its new id.
  virtual Result<std::string> insert_user(std::string_view collection, const NewUser& user,
                                          Deadline deadline) = 0;
  virtual Result<std::int64_t> count(std::string_view collection, Deadline deadline) = 0;
};

}  // namespace storefront::store
