#pragma once

// In-memory stores for handler tests (tests/unit/api): the same interfaces
// as the MongoDB ones, no sockets. `down` makes every call fail as an
// unreachable database would.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/json_writer.hpp"
#include "store/deployment_store.hpp"
#include "store/product_store.hpp"
#include "store/user_store.hpp"

namespace storefront::fakes {

inline Error database_down() {
  return Error{ErrorKind::kUnavailable, "fake: database down"};
}

class FakeUserStore final : public store::UserStore, public store::DeploymentStore {
 public:
  std::atomic<bool> down{false};
  // Runs (on the worker) at the start of count() and describe(): a test can
  // hold calls in flight or count them. Set before the calls start.
  std::function<void()> on_call;

  Result<std::string> list_users_json(std::string_view collection, int limit, Deadline) override {
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    std::string out = R"({"users":[)";
    int n = 0;
    for (const auto& user : users_[std::string(collection)]) {
      if (n == limit) break;
      if (n++) out.push_back(',');
      out += user;
    }
    return out + "]}";
  }
  Result<std::optional<std::string>> find_user_json(std::string_view collection,
                                                    std::string_view name, Deadline) override {
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    for (const auto& user : users_[std::string(collection)]) {
      if (user.find(fmt_name(name)) != std::string::npos) return std::optional(user);
    }
    return std::optional<std::string>();
  }
  Result<std::string> insert_user(std::string_view collection, const store::NewUser& user,
                                  Deadline) override {
    if (down) return database_down();
    std::string json;
    JsonWriter w(json);
    w.begin_object();
    w.key("id");
    w.string("id" + std::to_string(++next_id_));
    w.key("age");
    w.number(user.age);
    w.key("name");
    w.string(user.name);
    w.end_object();
    std::lock_guard lock(mutex_);
    users_[std::string(collection)].push_back(json);
    return json;
  }
  Result<std::int64_t> count(std::string_view collection, Deadline) override {
    if (on_call) on_call();
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(users_[std::string(collection)].size());
  }
  Result<store::DeploymentInfo> describe(Deadline) override {
    if (on_call) on_call();
    if (down) return database_down();
    store::DeploymentInfo info;
    info.topology_type = "Single";
    return info;
  }
  Status ping(Deadline) override {
    if (down) return database_down();
    return ok_status();
  }

 private:
  static std::string fmt_name(std::string_view name) {
    std::string out = R"("name":)";
    append_json_string(out, name);
    return out;
  }
  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> users_;
  std::atomic<int> next_id_{0};
};

// Products rendered like MongoProductStore renders them (media URLs on the base).
class FakeProductStore final : public store::ProductStore {
 public:
  explicit FakeProductStore(std::string media_base = "/media") : base_(std::move(media_base)) {}
  std::atomic<bool> down{false};
  std::atomic<int> reads{0};

  Result<std::optional<std::string>> product_json(std::string_view sku, Deadline) override {
    ++reads;
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    auto it = products_.find(std::string(sku));
    if (it == products_.end()) return std::optional<std::string>();
    return std::optional(render(it->first, it->second));
  }
  Result<std::string> products_json(const store::ProductQuery& q, Deadline) override {
    ++reads;
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    std::string out = R"({"products":[)";
    int n = 0;
    std::string last;
    bool more = false;
    for (auto it = q.after ? products_.upper_bound(*q.after) : products_.begin();
         it != products_.end(); ++it) {
      if (q.category && it->second.category != *q.category) continue;
      if (n == q.limit) {
        more = true;
        break;
      }
      if (n++) out.push_back(',');
      out += render(it->first, it->second);
      last = it->first;
    }
    out += R"(],"next":)";
    if (more) {
      append_json_string(out, last);
    } else {
      out += "null";
    }
    return out + "}";
  }
  Result<std::string> categories_json(Deadline) override {
    ++reads;
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    std::map<std::string, std::int64_t> counts;
    for (const auto& [sku, p] : products_) ++counts[p.category];
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("categories");
    w.begin_array();
    for (const auto& [name, n] : counts) {
      w.begin_object();
      w.key("name");
      w.string(name);
      w.key("products");
      w.number(n);
      w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
  }
  Result<store::PutOutcome> put_product(std::string_view sku, const store::ProductInput& p,
                                        Deadline) override {
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    const bool created = products_.count(std::string(sku)) == 0;
    products_[std::string(sku)] = p;
    return store::PutOutcome{created, render(std::string(sku), p)};
  }
  Result<bool> delete_product(std::string_view sku, Deadline) override {
    if (down) return database_down();
    std::lock_guard lock(mutex_);
    return products_.erase(std::string(sku)) > 0;
  }

 private:
  std::string render(const std::string& sku, const store::ProductInput& p) const {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("sku");
    w.string(sku);
    w.key("name");
    w.string(p.name);
    w.key("category");
    w.string(p.category);
    w.key("price");
    w.begin_object();
    w.key("amount");
    w.number(p.amount);
    w.key("currency");
    w.string(p.currency);
    w.end_object();
    w.key("media");
    w.begin_array();
    for (const auto& m : p.media) {
      w.begin_object();
      w.key("kind");
      w.string(m.kind);
      w.key("url");
      w.string(base_ + "/" + m.path);
      w.end_object();
    }
    w.end_array();
    w.key("attributes");
    w.raw(p.attributes_json);
    w.end_object();
    return out;
  }

  const std::string base_;
  std::mutex mutex_;
  std::map<std::string, store::ProductInput> products_;
};

}  // namespace storefront::fakes
