#include "api/router.hpp"

#include <boost/url/parse.hpp>
#include <vector>

namespace storefront::api {

RouteMatch match_route(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return {Route::kBadTarget, {}, {}};
  std::vector<std::string> segs;
  for (auto seg : parsed->segments()) segs.push_back(seg);  // decoded
  const auto n = segs.size();
  if (n == 0) return {Route::kRoot, {}, {}};
  if (n == 1 && segs[0] == "metrics") return {Route::kMetrics, {}, {}};
  if (n == 1 && segs[0] == "openapi.json") return {Route::kOpenApi, {}, {}};
  if (n == 1 && segs[0] == "docs") return {Route::kDocs, {}, {}};
  if (n == 3 && segs[0] == "docs" && segs[1] == "assets") {
    return {Route::kDocsAsset, {}, std::move(segs[2])};
  }
  if (n == 2 && segs[0] == "health" && segs[1] == "live") return {Route::kHealthLive, {}, {}};
  if (n == 2 && segs[0] == "health" && segs[1] == "ready") return {Route::kHealthReady, {}, {}};
  // Before the collection routes: /catalog/products is the catalog, while
  // /catalog/users stays the users of a collection named "catalog".
  if (n >= 2 && segs[0] == "catalog") {
    if (n == 2 && segs[1] == "products") return {Route::kCatalogProducts, {}, {}};
    if (n == 2 && segs[1] == "categories") return {Route::kCatalogCategories, {}, {}};
    if (n == 3 && segs[1] == "products") {
      return {Route::kCatalogProduct, {}, std::move(segs[2])};
    }
    if (n == 4 && segs[1] == "products" && segs[3] == "stock") {
      return {Route::kCatalogStock, {}, std::move(segs[2])};
    }
  }
  if (n == 1 && segs[0] == "orders") return {Route::kOrders, {}, {}};
  if (n == 2 && segs[1] == "count") return {Route::kCount, std::move(segs[0]), {}};
  if (n == 2 && segs[1] == "users") return {Route::kUsers, std::move(segs[0]), {}};
  if (n == 3 && segs[1] == "users") return {Route::kUser, std::move(segs[0]), std::move(segs[2])};
  // After the collection routes: /orders/count stays the count of a
  // collection named "orders".
  if (n == 2 && segs[0] == "orders") return {Route::kOrder, {}, std::move(segs[1])};
  if (n == 3 && segs[0] == "orders" && segs[2] == "cancel") {
    return {Route::kOrderCancel, {}, std::move(segs[1])};
  }
  return {Route::kUnmatched, {}, {}};
}

std::string_view route_template(Route route) {
  return route_table()[static_cast<std::size_t>(route)].metrics_template;
}

std::string_view allowed_methods(Route route) {
  return route_table()[static_cast<std::size_t>(route)].methods;
}

bool method_allowed(Route route, std::string_view method) {
  std::string_view allowed = allowed_methods(route);
  while (!allowed.empty()) {
    const auto comma = allowed.find(',');
    if (allowed.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    allowed.remove_prefix(comma + 2);  // ", "
  }
  return false;
}

}  // namespace storefront::api
