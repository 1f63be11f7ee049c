#include "api/router.hpp"

namespace storefront::api {
namespace {

// The OpenAPI path items are written next to their route; the limits they
// refer to are components built from the validators' constants
// (api/openapi.cpp), never numbers written here.
constexpr std::array<RouteSpec, kRouteCount> kRoutes{{
    {Route::kRoot, "/", "GET", "/",
     R"JSON({
  "get": {
    "summary": "Describe the deployment",
    "operationId": "root",
    "responses": {
      "200": {
        "description": "Topology, collections, shards and cache state",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deployment"}}}
      },
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kCount, "/{collection}/count", "GET", "/{collection_name}/count",
     R"JSON({
  "get": {
    "summary": "Count documents of a collection",
    "operationId": "collection_count",
    "parameters": [{"$ref": "#/components/parameters/CollectionName"}],
    "responses": {
      "200": {
        "description": "Document count",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Count"}}}
      },
      "400": {"$ref": "#/components/responses/BadRequest"},
      "404": {"$ref": "#/components/responses/CollectionNotAllowed"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kUsers, "/{collection}/users", "GET, POST", "/{collection_name}/users",
     R"JSON({
  "get": {
    "summary": "List users (at most 1000)",
    "operationId": "list_users",
    "parameters": [{"$ref": "#/components/parameters/CollectionName"}],
    "responses": {
      "200": {
        "description": "Users; cached when REDIS_URL is set (see the X-Cache header)",
        "headers": {"X-Cache": {"$ref": "#/components/headers/XCache"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsersCollection"}}}
      },
      "400": {"$ref": "#/components/responses/BadRequest"},
      "404": {"$ref": "#/components/responses/CollectionNotAllowed"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  },
  "post": {
    "summary": "Create a user",
    "operationId": "create_user",
    "description": "Open unless STOREFRONT_WRITE_TOKEN is set; then it needs `Authorization: Bearer <token>` (401 without or with a wrong one).",
    "security": [{}, {"WriteBearer": []}],
    "parameters": [{"$ref": "#/components/parameters/CollectionName"}],
    "requestBody": {
      "required": true,
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewUser"}}}
    },
    "responses": {
      "201": {
        "description": "The stored user with its new id",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}},
        "links": {
          "GetCreatedUser": {
            "operationId": "show_user",
            "parameters": {"collection_name": "$request.path.collection_name", "name": "$response.body#/name"}
          },
          "ListUsersOfCollection": {
            "operationId": "list_users",
            "parameters": {"collection_name": "$request.path.collection_name"}
          },
          "CountCollection": {
            "operationId": "collection_count",
            "parameters": {"collection_name": "$request.path.collection_name"}
          }
        }
      },
      "400": {"$ref": "#/components/responses/BadRequest"},
      "401": {"$ref": "#/components/responses/Unauthenticated"},
      "404": {"$ref": "#/components/responses/CollectionNotAllowed"},
      "413": {"$ref": "#/components/responses/TooLarge"},
      "422": {
        "description": "Validation error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
      },
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kUser, "/{collection}/users/{name}", "GET", "/{collection_name}/users/{name}",
     R"JSON({
  "get": {
    "summary": "Find a user by name",
    "operationId": "show_user",
    "parameters": [
      {"$ref": "#/components/parameters/CollectionName"},
      {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}
    ],
    "responses": {
      "200": {
        "description": "The user",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
      },
      "400": {"$ref": "#/components/responses/BadRequest"},
      "404": {
        "description": "No user with this name, or the collection is outside STOREFRONT_COLLECTIONS",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kHealthLive, "/health/live", "GET", "/health/live",
     R"JSON({
  "get": {
    "summary": "Liveness: the process is up",
    "operationId": "health_live",
    "responses": {
      "200": {
        "description": "Alive",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}
      }
    }
  }
})JSON"},
    {Route::kHealthReady, "/health/ready", "GET", "/health/ready",
     R"JSON({
  "get": {
    "summary": "Readiness: this instance can serve (not draining, not at its connection cap)",
    "description": "Answered on the I/O thread from state, never waiting for a dependency: a database outage or a full worker queue does not take every instance out of the gateway (the cached catalog keeps being served). The dependency states are in the body.",
    "operationId": "health_ready",
    "responses": {
      "200": {
        "description": "Ready",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
      },
      "503": {
        "description": "Draining or overloaded",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
      }
    }
  }
})JSON"},
    {Route::kMetrics, "/metrics", "GET", "/metrics",
     R"JSON({
  "get": {
    "summary": "Prometheus metrics (text exposition format 0.0.4)",
    "operationId": "metrics",
    "responses": {
      "200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
    }
  }
})JSON"},
    {Route::kOpenApi, "/openapi.json", "GET", "/openapi.json",
     R"JSON({
  "get": {
    "summary": "This document",
    "operationId": "openapi",
    "responses": {
      "200": {
        "description": "OpenAPI 3.1",
        "content": {"application/json": {"schema": {"type": "object"}}}
      }
    }
  }
})JSON"},
    {Route::kDocs, "/docs", "GET", "/docs",
     R"JSON({
  "get": {
    "summary": "Swagger UI",
    "operationId": "docs",
    "responses": {
      "200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}
    }
  }
})JSON"},
    {Route::kDocsAsset, "/docs", "GET", "", ""},
    {Route::kCatalogProducts, "/catalog/products", "GET", "/catalog/products",
     R"JSON({
  "get": {
    "summary": "List products by SKU (keyset pagination)",
    "operationId": "list_products",
    "parameters": [
      {"$ref": "#/components/parameters/Category"},
      {"$ref": "#/components/parameters/Limit"},
      {
        "name": "after",
        "in": "query",
        "required": false,
        "description": "The `next` of the previous page: products after this SKU",
        "schema": {"$ref": "#/components/schemas/Sku"}
      },
      {"$ref": "#/components/parameters/IfNoneMatch"}
    ],
    "responses": {
      "200": {
        "description": "One page, ordered by SKU; `next` is null on the last page",
        "headers": {
          "ETag": {"$ref": "#/components/headers/ETag"},
          "Cache-Control": {"$ref": "#/components/headers/CatalogCacheControl"},
          "X-Cache": {"$ref": "#/components/headers/XCache"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductPage"}}}
      },
      "304": {"$ref": "#/components/responses/NotModified"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kCatalogProduct, "/catalog/products/{sku}", "GET, PUT, DELETE",
     "/catalog/products/{sku}",
     R"JSON({
  "parameters": [{"$ref": "#/components/parameters/Sku"}],
  "get": {
    "summary": "One product",
    "operationId": "show_product",
    "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
    "responses": {
      "200": {
        "description": "The product, media URLs on CDN_BASE_URL (or MEDIA_BASE_URL)",
        "headers": {
          "ETag": {"$ref": "#/components/headers/ETag"},
          "Cache-Control": {"$ref": "#/components/headers/CatalogCacheControl"},
          "X-Cache": {"$ref": "#/components/headers/XCache"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}
      },
      "304": {"$ref": "#/components/responses/NotModified"},
      "404": {"$ref": "#/components/responses/NotFound"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  },
  "put": {
    "summary": "Create or replace a product (admin)",
    "operationId": "put_product",
    "security": [{"AdminBearer": []}],
    "requestBody": {
      "required": true,
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductInput"}}}
    },
    "responses": {
      "200": {
        "description": "Replaced",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}},
        "links": {
          "GetStoredProduct": {"operationId": "show_product", "parameters": {"sku": "$request.path.sku"}}
        }
      },
      "201": {
        "description": "Created",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}},
        "links": {
          "GetStoredProduct": {"operationId": "show_product", "parameters": {"sku": "$request.path.sku"}}
        }
      },
      "401": {"$ref": "#/components/responses/Unauthenticated"},
      "403": {"$ref": "#/components/responses/AdminDisabled"},
      "413": {"$ref": "#/components/responses/TooLarge"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  },
  "delete": {
    "summary": "Delete a product (admin)",
    "operationId": "delete_product",
    "security": [{"AdminBearer": []}],
    "responses": {
      "204": {"description": "Deleted"},
      "401": {"$ref": "#/components/responses/Unauthenticated"},
      "403": {"$ref": "#/components/responses/AdminDisabled"},
      "404": {"$ref": "#/components/responses/NotFound"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kCatalogCategories, "/catalog/categories", "GET", "/catalog/categories",
     R"JSON({
  "get": {
    "summary": "Categories with their product counts",
    "operationId": "list_categories",
    "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
    "responses": {
      "200": {
        "description": "Ordered by name",
        "headers": {
          "ETag": {"$ref": "#/components/headers/ETag"},
          "Cache-Control": {"$ref": "#/components/headers/CatalogCacheControl"},
          "X-Cache": {"$ref": "#/components/headers/XCache"}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Categories"}}}
      },
      "304": {"$ref": "#/components/responses/NotModified"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kCatalogStock, "/catalog/products/{sku}/stock", "GET, POST",
     "/catalog/products/{sku}/stock",
     R"JSON({
  "parameters": [{"$ref": "#/components/parameters/Sku"}],
  "get": {
    "summary": "Stock of a product (from the primary, never cached)",
    "operationId": "show_stock",
    "responses": {
      "200": {
        "description": "Units available, reserved by orders in flight, and sold; zeros for a product nobody stocked",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stock"}}}
      },
      "404": {"$ref": "#/components/responses/NotFound"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  },
  "post": {
    "summary": "Restock (delta > 0) or remove unsold units (delta < 0), atomically (admin)",
    "operationId": "adjust_stock",
    "security": [{"AdminBearer": []}],
    "requestBody": {
      "required": true,
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StockDelta"}}}
    },
    "responses": {
      "200": {
        "description": "The stock after the change",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stock"}}}
      },
      "401": {"$ref": "#/components/responses/Unauthenticated"},
      "403": {"$ref": "#/components/responses/AdminDisabled"},
      "404": {"$ref": "#/components/responses/NotFound"},
      "409": {"$ref": "#/components/responses/InsufficientStock"},
      "413": {"$ref": "#/components/responses/TooLarge"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kOrders, "/orders", "POST", "/orders",
     R"JSON({
  "post": {
    "summary": "Place an order: reserve every item's stock, then confirm (never oversells)",
    "description": "Prices come from the catalog at order time. With an Idempotency-Key, the same key and body answer the first response again (Idempotent-Replayed: true); another body is a 422; a key whose first request is still running is a 409 with Retry-After.",
    "operationId": "create_order",
    "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
    "requestBody": {
      "required": true,
      "content": {
        "application/json": {
          "schema": {"$ref": "#/components/schemas/OrderInput"},
          "example": {"customer_id": "c-1", "items": [{"sku": "sku-00001", "quantity": 1}]}
        }
      }
    },
    "responses": {
      "201": {
        "description": "Confirmed",
        "headers": {
          "Idempotent-Replayed": {
            "description": "true on a replay of the key's first answer",
            "schema": {"type": "string", "const": "true"}
          }
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
        "links": {
          "GetPlacedOrder": {"operationId": "show_order", "parameters": {"id": "$response.body#/id"}},
          "CancelPlacedOrder": {"operationId": "cancel_order", "parameters": {"id": "$response.body#/id"}}
        }
      },
      "409": {
        "description": "An item is short of stock (every unit reserved for the order is returned), or the key's first request is still running (Retry-After)",
        "headers": {
          "Retry-After": {"schema": {"type": "integer"}},
          "Idempotent-Replayed": {"schema": {"type": "string", "const": "true"}}
        },
        "content": {
          "application/json": {
            "schema": {
              "anyOf": [
                {"$ref": "#/components/schemas/InsufficientStock"},
                {"$ref": "#/components/schemas/Error"}
              ]
            }
          }
        }
      },
      "413": {"$ref": "#/components/responses/TooLarge"},
      "422": {"$ref": "#/components/responses/Invalid"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kOrder, "/orders/{id}", "GET", "/orders/{id}",
     R"JSON({
  "parameters": [{"$ref": "#/components/parameters/OrderId"}],
  "get": {
    "summary": "One order",
    "operationId": "show_order",
    "responses": {
      "200": {
        "description": "The order",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}
      },
      "404": {"$ref": "#/components/responses/NotFound"},
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kOrderCancel, "/orders/{id}/cancel", "POST", "/orders/{id}/cancel",
     R"JSON({
  "parameters": [{"$ref": "#/components/parameters/OrderId"}],
  "post": {
    "summary": "Cancel a confirmed order: its units go back to available, once however often this is called",
    "operationId": "cancel_order",
    "responses": {
      "200": {
        "description": "The cancelled order",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}
      },
      "404": {"$ref": "#/components/responses/NotFound"},
      "409": {
        "description": "The order is not confirmed (failed or still pending)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "503": {"$ref": "#/components/responses/Unavailable"}
    }
  }
})JSON"},
    {Route::kUnmatched, "unmatched", "GET", "", ""},
    {Route::kBadTarget, "unmatched", "GET", "", ""},
}};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < kRoutes.size(); ++i) {
    if (static_cast<std::size_t>(kRoutes[i].route) != i) return false;
  }
  return true;
}
static_assert(in_enum_order(), "kRoutes has one row per Route, in enum order");

}  // namespace

const std::array<RouteSpec, kRouteCount>& route_table() {
  return kRoutes;
}

}  // namespace storefront::api
