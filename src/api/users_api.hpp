#pragma once

#include <string>

#include "api/exchange.hpp"
#include "store/users.hpp"

namespace storefront::api {

// pymongo-api's endpoints: /{collection}/count, /{collection}/users[/{name}].
// The collection name is validated by the caller (Api::dispatch).
class UsersApi {
 public:
  UsersApi(Responder& responder, store::Users& users, std::string database)
      : responder_(responder), users_(users), database_(std::move(database)) {}

  void count(const ExchangePtr& ex, const std::string& collection);
  void list(const ExchangePtr& ex, const std::string& collection);
  void show(const ExchangePtr& ex, const std::string& collection, const std::string& name);
  void create(const ExchangePtr& ex, const std::string& collection, const std::string& body);

 private:
  Responder& responder_;
  store::Users& users_;
  const std::string database_;
};

// X-Cache (when there is a cache) and the shared body of a served read.
http::Response served_response(store::Served&& served);

}  // namespace storefront::api
