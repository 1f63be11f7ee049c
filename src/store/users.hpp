#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/async.hpp"
#include "store/user_store.hpp"

namespace storefront::store {

// What the users API calls (see store/async.hpp). Implemented directly over
// a UserStore here and by the caching decorator cache::CachedUsers.
class Users {
 public:
  virtual ~Users() = default;
  virtual void list(const Call& call, std::string collection, Done<Served> done) = 0;
  virtual void find(const Call& call, std::string collection, std::string name,
                    Done<std::optional<std::string>> done) = 0;
  virtual void insert(const Call& call, std::string collection, NewUser user,
                      Done<std::string> done) = 0;
  virtual void count(const Call& call, std::string collection, Done<std::int64_t> done) = 0;
};

// Every call on a worker, straight to the store.
class DirectUsers final : public Users {
 public:
  DirectUsers(UserStore& store, Offloader& offloader, int max_users)
      : store_(store), offloader_(offloader), max_users_(max_users) {}

  void list(const Call& call, std::string collection, Done<Served> done) override;
  void find(const Call& call, std::string collection, std::string name,
            Done<std::optional<std::string>> done) override;
  void insert(const Call& call, std::string collection, NewUser user,
              Done<std::string> done) override;
  void count(const Call& call, std::string collection, Done<std::int64_t> done) override;

  // The blocking list read, for a cache's loader (worker threads only).
  Result<std::string> load_list(const std::string& collection, Deadline deadline) {
    return store_.list_users_json(collection, max_users_, deadline);
  }

 private:
  UserStore& store_;
  Offloader& offloader_;
  const int max_users_;
};

}  // namespace storefront::store
