#include "api/catalog_api.hpp"

#include <fmt/format.h>

#include <boost/beast/http/field.hpp>

#include "api/http_caching.hpp"
#include "api/product_validation.hpp"
#include "api/users_api.hpp"

namespace storefront::api {

namespace bhttp = boost::beast::http;

store::Done<store::Served> CatalogApi::answer(const ExchangePtr& ex, const http::Request& request,
                                              std::string sku) {
  return [this, ex, if_none_match = std::string(request[bhttp::field::if_none_match]),
          sku = std::move(sku)](Result<store::Served> served) {
    if (!served) return responder_.fail(ex, served.error());
    if (served->json->empty()) {
      // The store's "no such product" (cached like any answer).
      auto res = error_response(404, fmt::format("Product {} not found", sku));
      if (served->source != store::Source::kUncached) {
        res.set("X-Cache", to_string(served->source));
      }
      return responder_.finish(ex, std::move(res));
    }
    const std::string etag = strong_etag(*served->json);
    const auto source = served->source;
    http::Response res = if_none_match_hits(if_none_match, etag)
                             ? make_response(304, {})
                             : served_response(std::move(served).value());
    if (res.result_int() == 304) {
      res.erase(bhttp::field::content_type);
      if (source != store::Source::kUncached) res.set("X-Cache", to_string(source));
    }
    res.set(bhttp::field::etag, etag);
    res.set(bhttp::field::cache_control,
            fmt::format("public, max-age={}", options_.max_age.count()));
    responder_.finish(ex, std::move(res));
  };
}

bool require_admin(Responder& responder, const AdminAuth& auth, const ExchangePtr& ex,
                   const http::Request& request) {
  switch (auth.check(request[bhttp::field::authorization])) {
    case AdminAuth::Verdict::kAllowed:
      return true;
    case AdminAuth::Verdict::kDisabled:
      responder.finish(ex, error_response(403, "admin API disabled"));
      return false;
    case AdminAuth::Verdict::kUnauthenticated:
      responder.finish(ex, unauthenticated_response());
      return false;
  }
  return false;
}

bool CatalogApi::authorized(const ExchangePtr& ex, const http::Request& request) {
  return require_admin(responder_, auth_, ex, request);
}

void CatalogApi::list(const ExchangePtr& ex, const http::Request& request) {
  auto query = parse_product_query(request.target());
  if (auto* errors = std::get_if<ValidationErrors>(&query)) {
    return responder_.finish(ex, validation_response(errors->detail_json));
  }
  catalog_.products(ex->call(), std::get<store::ProductQuery>(std::move(query)),
                    answer(ex, request));
}

void CatalogApi::show(const ExchangePtr& ex, const http::Request& request, const std::string& sku) {
  if (!valid_sku(sku))
    return responder_.finish(ex, validation_response(sku_errors(sku).detail_json));
  catalog_.product(ex->call(), sku, answer(ex, request, sku));
}

void CatalogApi::categories(const ExchangePtr& ex, const http::Request& request) {
  catalog_.categories(ex->call(), answer(ex, request));
}

void CatalogApi::put(const ExchangePtr& ex, const http::Request& request, const std::string& sku) {
  if (!authorized(ex, request)) return;
  if (!valid_sku(sku))
    return responder_.finish(ex, validation_response(sku_errors(sku).detail_json));
  auto parsed = parse_product(request.body());
  if (auto* invalid = std::get_if<ValidationErrors>(&parsed)) {
    return responder_.finish(ex, validation_response(invalid->detail_json));
  }
  catalog_.put(ex->call(), sku, std::get<store::ProductInput>(std::move(parsed)),
               [this, ex](Result<store::PutOutcome> stored) {
                 if (!stored) return responder_.fail(ex, stored.error());
                 auto res = make_response(stored->created ? 201 : 200, std::move(stored->json));
                 responder_.finish(ex, std::move(res));
               });
}

void CatalogApi::remove(const ExchangePtr& ex, const http::Request& request,
                        const std::string& sku) {
  if (!authorized(ex, request)) return;
  if (!valid_sku(sku))
    return responder_.finish(ex, validation_response(sku_errors(sku).detail_json));
  catalog_.remove(ex->call(), sku, [this, ex, sku](Result<bool> removed) {
    if (!removed) return responder_.fail(ex, removed.error());
    if (!removed.value()) {
      return responder_.finish(ex, error_response(404, fmt::format("Product {} not found", sku)));
    }
    auto res = make_response(204, {});
    res.erase(bhttp::field::content_type);
    responder_.finish(ex, std::move(res));
  });
}

}  // namespace storefront::api
