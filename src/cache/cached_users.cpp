#include "cache/cached_users.hpp"

#include <spdlog/spdlog.h>

namespace storefront::cache {

void invalidate_after_write(ResponseCache& cache, const std::string& scope, Deadline deadline) {
  if (auto st = cache.invalidate_scope(scope, deadline); !st) {
    spdlog::warn("cache invalidation of {} failed: {}", scope, st.error().message);
  }
}

void CachedUsers::list(const store::Call& call, std::string collection,
                       store::Done<store::Served> done) {
  auto key = users_list_key(database_, collection);
  reads_.read(
      call, std::move(key), LoadOptions{},
      [this, collection = std::move(collection)](Deadline deadline) {
        return inner_.load_list(collection, deadline);
      },
      std::move(done));
}

void CachedUsers::insert(const store::Call& call, std::string collection, store::NewUser user,
                         store::Done<std::string> done) {
  auto scope = cache_scope(database_, collection);
  inner_.insert(call, std::move(collection), std::move(user),
                [this, scope = std::move(scope), deadline = call.deadline,
                 done = std::move(done)](Result<std::string> stored) {
                  // Invalidated before answering, so the client's next read sees its write.
                  if (stored) invalidate_after_write(reads_.cache(), scope, deadline);
                  done(std::move(stored));
                });
}

}  // namespace storefront::cache
