// BSON -> JSON rendering of a 1000-user list, the body of GET /helloDoc/users.
#include <benchmark/benchmark.h>
#include <bson/bson.h>

#include <string>
#include <vector>

#include "store/bson_json.hpp"

namespace storefront::store {
namespace {

class Users {
 public:
  explicit Users(int n) {
    for (int i = 0; i < n; ++i) {
      bson_t* doc = bson_new();
      bson_oid_t oid;
      bson_oid_init(&oid, nullptr);
      BSON_APPEND_OID(doc, "_id", &oid);
      BSON_APPEND_INT32(doc, "age", i);
      const std::string name = "ly" + std::to_string(i);
      BSON_APPEND_UTF8(doc, "name", name.c_str());
      docs_.push_back(doc);
    }
  }
  ~Users() {
    for (void* d : docs_) bson_destroy(static_cast<bson_t*>(d));
  }
  const bson_t* operator[](std::size_t i) const { return static_cast<const bson_t*>(docs_[i]); }
  std::size_t size() const { return docs_.size(); }

 private:
  std::vector<void*> docs_;
};

void BM_RenderUsers1000(benchmark::State& state) {
  Users users(1000);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out;
    out.reserve(64 * 1024);
    out.append(R"({"users":[)");
    for (std::size_t i = 0; i < users.size(); ++i) {
      if (i) out.push_back(',');
      append_user_json(out, users[i]);
    }
    out.append("]}");
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_RenderUsers1000);

// The generic path some clients would take: libbson's own relaxed JSON.
void BM_LibbsonAsJson1000(benchmark::State& state) {
  Users users(1000);
  for (auto _ : state) {
    std::string out;
    for (std::size_t i = 0; i < users.size(); ++i) {
      char* s = bson_as_relaxed_extended_json(users[i], nullptr);
      out.append(s);
      bson_free(s);
    }
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_LibbsonAsJson1000);

}  // namespace
}  // namespace storefront::store
