#pragma once

#include <string>
#include <string_view>

#include "api/admin_auth.hpp"
#include "api/exchange.hpp"
#include "store/users.hpp"

namespace storefront::api {

// pymongo-api's endpoints: /{collection}/count, /{collection}/users[/{name}].
// The collection name is validated by the caller (Api::dispatch). Writes
// need `write_token` as a Bearer token when it is set (STOREFRONT_WRITE_TOKEN).
class UsersApi {
 public:
  UsersApi(Responder& responder, store::Users& users, std::string database,
           std::string write_token = {})
      : responder_(responder),
        users_(users),
        database_(std::move(database)),
        write_auth_(std::move(write_token)) {}

  void count(const ExchangePtr& ex, const std::string& collection);
  void list(const ExchangePtr& ex, const std::string& collection);
  void show(const ExchangePtr& ex, const std::string& collection, const std::string& name);
  // `authorization`: the request's Authorization header (empty when absent).
  void create(const ExchangePtr& ex, const std::string& collection, const std::string& body,
              std::string_view authorization = {});

 private:
  Responder& responder_;
  store::Users& users_;
  const std::string database_;
  const AdminAuth write_auth_;  // kDisabled (no token): writes stay open
};

// X-Cache (when there is a cache) and the shared body of a served read.
http::Response served_response(store::Served&& served);

}  // namespace storefront::api
