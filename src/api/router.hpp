#pragma once

#include <string>
#include <string_view>

namespace storefront::api {

enum class Route {
  kRoot,
  kCount,
  kUsers,
  kUser,
  kHealthLive,
  kHealthReady,
  kMetrics,
  kOpenApi,
  kDocs,
  kDocsAsset,
  kCatalogProducts,
  kCatalogProduct,
  kCatalogCategories,
  kCatalogStock,
  kOrders,
  kOrder,
  kOrderCancel,
  kUnmatched,
  kBadTarget,
};

struct RouteMatch {
  Route route = Route::kUnmatched;
  std::string collection;  // percent-decoded
  std::string name;        // kUser: the user name; kDocsAsset: the file name;
                           // kCatalogProduct/kCatalogStock: the SKU; kOrder/kOrderCancel: the id
};

// Matches the request target (origin form, query ignored) against the API.
RouteMatch match_route(std::string_view target);

// The route template used as a metrics label: never the raw path.
std::string_view route_template(Route route);

// The value of the Allow header for a route.
std::string_view allowed_methods(Route route);
// Whether `method` (GET, POST, ...) is one of allowed_methods(route).
bool method_allowed(Route route, std::string_view method);

}  // namespace storefront::api
