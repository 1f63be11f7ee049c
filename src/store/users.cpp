#include "store/users.hpp"

namespace storefront::store {

void DirectUsers::list(const Call& call, std::string collection, Done<Served> done) {
  run_blocking<Served>(offloader_, call, std::move(done),
                       [this, collection = std::move(collection), call]() -> Result<Served> {
                         auto body = load_list(collection, call.deadline);
                         if (!body) return body.error();
                         return uncached(std::move(body).value());
                       });
}

void DirectUsers::find(const Call& call, std::string collection, std::string name,
                       Done<std::optional<std::string>> done) {
  run_blocking<std::optional<std::string>>(
      offloader_, call, std::move(done),
      [this, collection = std::move(collection), name = std::move(name), call] {
        return store_.find_user_json(collection, name, call.deadline);
      });
}

void DirectUsers::insert(const Call& call, std::string collection, NewUser user,
                         Done<std::string> done) {
  run_blocking<std::string>(offloader_, call, std::move(done),
                            [this, collection = std::move(collection), user = std::move(user),
                             call] { return store_.insert_user(collection, user, call.deadline); });
}

void DirectUsers::count(const Call& call, std::string collection, Done<std::int64_t> done) {
  run_blocking<std::int64_t>(offloader_, call, std::move(done),
                             [this, collection = std::move(collection), call] {
                               return store_.count(collection, call.deadline);
                             });
}

}  // namespace storefront::store
