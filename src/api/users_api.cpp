#include "api/users_api.hpp"

#include <fmt/format.h>

#include "api/validation.hpp"
#include "common/json_writer.hpp"

namespace storefront::api {

http::Response served_response(store::Served&& served) {
  auto res = make_response(200, {});
  res.body() = std::move(served.json);  // shared with the cache: no copy
  if (served.source != store::Source::kUncached) res.set("X-Cache", to_string(served.source));
  return res;
}

void UsersApi::count(const ExchangePtr& ex, const std::string& collection) {
  users_.count(ex->call(), collection, [this, ex](Result<std::int64_t> n) {
    if (!n) return responder_.fail(ex, n.error());
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    w.key("status");
    w.string("OK");
    w.key("mongo_db");
    w.string(database_);
    w.key("items_count");
    w.number(*n);
    w.end_object();
    responder_.finish(ex, make_response(200, std::move(body)));
  });
}

void UsersApi::list(const ExchangePtr& ex, const std::string& collection) {
  users_.list(ex->call(), collection, [this, ex](Result<store::Served> served) {
    if (!served) return responder_.fail(ex, served.error());
    responder_.finish(ex, served_response(std::move(served).value()));
  });
}

void UsersApi::show(const ExchangePtr& ex, const std::string& collection, const std::string& name) {
  users_.find(
      ex->call(), collection, name, [this, ex, name](Result<std::optional<std::string>> user) {
        if (!user) return responder_.fail(ex, user.error());
        if (!user.value()) {
          return responder_.finish(ex, error_response(404, fmt::format("User {} not found", name)));
        }
        responder_.finish(ex, make_response(200, std::move(*user.value())));
      });
}

void UsersApi::create(const ExchangePtr& ex, const std::string& collection, const std::string& body,
                      std::string_view authorization) {
  if (write_auth_.check(authorization) == AdminAuth::Verdict::kUnauthenticated) {
    return responder_.finish(ex, unauthenticated_response());
  }
  auto parsed = parse_new_user(body);
  if (auto* errors = std::get_if<ValidationErrors>(&parsed)) {
    return responder_.finish(ex, validation_response(errors->detail_json));
  }
  users_.insert(ex->call(), collection, std::get<store::NewUser>(std::move(parsed)),
                [this, ex](Result<std::string> stored) {
                  if (!stored) return responder_.fail(ex, stored.error());
                  responder_.finish(ex, make_response(201, std::move(stored).value()));
                });
}

}  // namespace storefront::api
