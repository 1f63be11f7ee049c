#pragma once

#include <string>

#include "cache/read_through.hpp"
#include "store/users.hpp"

namespace storefront::cache {

// The users API's store with the list cached: a caching decorator over
// DirectUsers with the same interface. Inserts invalidate the collection
// on every instance (the Redis generation) before they are answered.
class CachedUsers final : public store::Users {
 public:
  CachedUsers(ReadThrough& reads, store::DirectUsers& inner, std::string database)
      : reads_(reads), inner_(inner), database_(std::move(database)) {}

  void list(const store::Call& call, std::string collection,
            store::Done<store::Served> done) override;
  void find(const store::Call& call, std::string collection, std::string name,
            store::Done<std::optional<std::string>> done) override {
    inner_.find(call, std::move(collection), std::move(name), std::move(done));
  }
  void insert(const store::Call& call, std::string collection, store::NewUser user,
              store::Done<std::string> done) override;
  void count(const store::Call& call, std::string collection,
             store::Done<std::int64_t> done) override {
    inner_.count(call, std::move(collection), std::move(done));
  }

 private:
  ReadThrough& reads_;
  store::DirectUsers& inner_;
  const std::string database_;
};

// Invalidates `scope` after a successful write; a failure is logged, never
// reported (the write succeeded). Runs on the worker that did the write.
void invalidate_after_write(ResponseCache& cache, const std::string& scope, Deadline deadline);

}  // namespace storefront::cache
