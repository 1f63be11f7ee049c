#pragma once

#include <array>
#include <cstddef>
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

inline constexpr std::size_t kRouteCount = static_cast<std::size_t>(Route::kBadTarget) + 1;

// Everything known about a route, in one row: a route cannot be added
// without its Allow header, its metrics label and its OpenAPI entry.
struct RouteSpec {
  Route route;
  std::string_view metrics_template;  // the metrics label: never the raw path
  std::string_view methods;           // the Allow header ("GET, POST")
  std::string_view openapi_path;      // empty: not in the document (assets, no route)
  std::string_view openapi_item;      // the OpenAPI 3.1 path item, JSON
};

// One row per Route, in enum order (api/route_table.cpp).
const std::array<RouteSpec, kRouteCount>& route_table();

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
