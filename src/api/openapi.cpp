#include "api/openapi.hpp"

namespace storefront::api {

std::string_view openapi_json() {
  static constexpr std::string_view kDocument = R"JSON({
  "openapi": "3.1.0",
  "info": {
    "title": "storefront",
    "version": "0.1.0",
    "description": "C++ drop-in replacement of pymongo-api (users stored in MongoDB, cached in Redis) and the store's catalog: products with CDN media, cached reads with ETag/304 that keep serving through a database outage (X-Cache: STALE)."
  },
  "paths": {
    "/": {
      "get": {
        "summary": "Describe the deployment",
        "operationId": "root",
        "responses": {
          "200": {"description": "Topology, collections, shards and cache state",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deployment"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/{collection_name}/count": {
      "get": {
        "summary": "Count documents of a collection",
        "operationId": "collection_count",
        "parameters": [{"$ref": "#/components/parameters/CollectionName"}],
        "responses": {
          "200": {"description": "Document count",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Count"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/CollectionNotAllowed"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/{collection_name}/users": {
      "get": {
        "summary": "List users (at most 1000)",
        "operationId": "list_users",
        "parameters": [{"$ref": "#/components/parameters/CollectionName"}],
        "responses": {
          "200": {"description": "Users; cached when REDIS_URL is set (see the X-Cache header)",
                  "headers": {"X-Cache": {"$ref": "#/components/headers/XCache"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsersCollection"}}}},
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
          "201": {"description": "The stored user with its new id",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}},
                  "links": {
                    "GetCreatedUser": {"operationId": "show_user",
                                       "parameters": {"collection_name": "$request.path.collection_name", "name": "$response.body#/name"}},
                    "ListUsersOfCollection": {"operationId": "list_users",
                                              "parameters": {"collection_name": "$request.path.collection_name"}},
                    "CountCollection": {"operationId": "collection_count",
                                        "parameters": {"collection_name": "$request.path.collection_name"}}
                  }},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "404": {"$ref": "#/components/responses/CollectionNotAllowed"},
          "413": {"description": "Body larger than the limit (1 MiB by default)",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "422": {"description": "Validation error",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/{collection_name}/users/{name}": {
      "get": {
        "summary": "Find a user by name",
        "operationId": "show_user",
        "parameters": [
          {"$ref": "#/components/parameters/CollectionName"},
          {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "The user",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"description": "No user with this name, or the collection is outside STOREFRONT_COLLECTIONS",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/catalog/products": {
      "get": {
        "summary": "List products by SKU (keyset pagination)",
        "operationId": "list_products",
        "parameters": [
          {"name": "category", "in": "query", "required": false,
           "schema": {"type": "string", "minLength": 1, "maxLength": 100}},
          {"name": "limit", "in": "query", "required": false,
           "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
          {"name": "after", "in": "query", "required": false, "description": "The `next` of the previous page: products after this SKU",
           "schema": {"$ref": "#/components/schemas/Sku"}},
          {"$ref": "#/components/parameters/IfNoneMatch"}
        ],
        "responses": {
          "200": {"description": "One page, ordered by SKU; `next` is null on the last page",
                  "headers": {"ETag": {"description": "Strong validator of the body", "schema": {"type": "string"}},
                              "Cache-Control": {"description": "public, max-age=CATALOG_MAX_AGE_SECONDS", "schema": {"type": "string"}},
                              "X-Cache": {"$ref": "#/components/headers/XCache"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductPage"}}}},
          "304": {"$ref": "#/components/responses/NotModified"},
          "422": {"$ref": "#/components/responses/Invalid"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/catalog/categories": {
      "get": {
        "summary": "Categories with their product counts",
        "operationId": "list_categories",
        "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
        "responses": {
          "200": {"description": "Ordered by name",
                  "headers": {"ETag": {"description": "Strong validator of the body", "schema": {"type": "string"}},
                              "Cache-Control": {"description": "public, max-age=CATALOG_MAX_AGE_SECONDS", "schema": {"type": "string"}},
                              "X-Cache": {"$ref": "#/components/headers/XCache"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Categories"}}}},
          "304": {"$ref": "#/components/responses/NotModified"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/catalog/products/{sku}": {
      "parameters": [{"name": "sku", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Sku"}}],
      "get": {
        "summary": "One product",
        "operationId": "show_product",
        "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
        "responses": {
          "200": {"description": "The product, media URLs on CDN_BASE_URL (or MEDIA_BASE_URL)",
                  "headers": {"ETag": {"description": "Strong validator of the body", "schema": {"type": "string"}},
                              "Cache-Control": {"description": "public, max-age=CATALOG_MAX_AGE_SECONDS", "schema": {"type": "string"}},
                              "X-Cache": {"$ref": "#/components/headers/XCache"}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}},
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
        "requestBody": {"required": true,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProductInput"}}}},
        "responses": {
          "200": {"description": "Replaced", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}},
                  "links": {"GetStoredProduct": {"operationId": "show_product", "parameters": {"sku": "$request.path.sku"}}}},
          "201": {"description": "Created", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}},
                  "links": {"GetStoredProduct": {"operationId": "show_product", "parameters": {"sku": "$request.path.sku"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/AdminDisabled"},
          "413": {"description": "Body larger than the limit (1 MiB by default)",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
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
    },
    "/catalog/products/{sku}/stock": {
      "parameters": [{"name": "sku", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Sku"}}],
      "get": {
        "summary": "Stock of a product (from the primary, never cached)",
        "operationId": "show_stock",
        "responses": {
          "200": {"description": "Units available, reserved by orders in flight, and sold; zeros for a product nobody stocked",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stock"}}}},
          "404": {"$ref": "#/components/responses/NotFound"},
          "422": {"$ref": "#/components/responses/Invalid"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "post": {
        "summary": "Restock (delta > 0) or remove unsold units (delta < 0), atomically (admin)",
        "operationId": "adjust_stock",
        "security": [{"AdminBearer": []}],
        "requestBody": {"required": true,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StockDelta"}}}},
        "responses": {
          "200": {"description": "The stock after the change",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stock"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/AdminDisabled"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/InsufficientStock"},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/Invalid"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/orders": {
      "post": {
        "summary": "Place an order: reserve every item's stock, then confirm (never oversells)",
        "description": "Prices come from the catalog at order time. With an Idempotency-Key, the same key and body answer the first response again (Idempotent-Replayed: true); another body is a 422; a key whose first request is still running is a 409 with Retry-After.",
        "operationId": "create_order",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}}],
        "requestBody": {"required": true,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderInput"},
                                                         "example": {"customer_id": "c-1", "items": [{"sku": "sku-00001", "quantity": 1}]}}}},
        "responses": {
          "201": {"description": "Confirmed",
                  "headers": {"Idempotent-Replayed": {"description": "true on a replay of the key's first answer",
                                                      "schema": {"type": "string", "const": "true"}}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
                  "links": {
                    "GetPlacedOrder": {"operationId": "show_order", "parameters": {"id": "$response.body#/id"}},
                    "CancelPlacedOrder": {"operationId": "cancel_order", "parameters": {"id": "$response.body#/id"}}
                  }},
          "409": {"description": "An item is short of stock (every unit reserved for the order is returned), or the key's first request is still running (Retry-After)",
                  "headers": {"Retry-After": {"schema": {"type": "integer"}},
                              "Idempotent-Replayed": {"schema": {"type": "string", "const": "true"}}},
                  "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/InsufficientStock"},
                                                                         {"$ref": "#/components/schemas/Error"}]}}}},
          "413": {"$ref": "#/components/responses/TooLarge"},
          "422": {"$ref": "#/components/responses/Invalid"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/orders/{id}": {
      "parameters": [{"$ref": "#/components/parameters/OrderId"}],
      "get": {
        "summary": "One order",
        "operationId": "show_order",
        "responses": {
          "200": {"description": "The order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/orders/{id}/cancel": {
      "parameters": [{"$ref": "#/components/parameters/OrderId"}],
      "post": {
        "summary": "Cancel a confirmed order: its units go back to available, once however often this is called",
        "operationId": "cancel_order",
        "responses": {
          "200": {"description": "The cancelled order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"description": "The order is not confirmed (failed or still pending)",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/health/live": {
      "get": {
        "summary": "Liveness: the process is up",
        "operationId": "health_live",
        "responses": {"200": {"description": "Alive",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}
      }
    },
    "/health/ready": {
      "get": {
        "summary": "Readiness: this instance can serve (not draining, not at its connection cap)",
        "description": "Answered on the I/O thread from state, never waiting for a dependency: a database outage or a full worker queue does not take every instance out of the gateway (the cached catalog keeps being served). The dependency states are in the body.",
        "operationId": "health_ready",
        "responses": {
          "200": {"description": "Ready",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
          "503": {"description": "Draining or overloaded",
                  "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text exposition format 0.0.4)",
        "operationId": "metrics",
        "responses": {"200": {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "operationId": "openapi",
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/docs": {
      "get": {
        "summary": "Swagger UI",
        "operationId": "docs",
        "responses": {"200": {"description": "HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}}
      }
    }
  },
  "components": {
    "securitySchemes": {
      "AdminBearer": {"type": "http", "scheme": "bearer",
                      "description": "STOREFRONT_ADMIN_TOKEN; when it is unset the admin endpoints answer 403"},
      "WriteBearer": {"type": "http", "scheme": "bearer",
                      "description": "STOREFRONT_WRITE_TOKEN; when it is unset POST /{collection_name}/users is open"}
    },
    "headers": {
      "XCache": {"description": "HIT, MISS, BYPASS (Redis unusable) or STALE (expired entry served because MongoDB failed); absent without a cache",
                 "schema": {"type": "string", "enum": ["HIT", "MISS", "BYPASS", "STALE"]}}
    },
    "parameters": {
      "IfNoneMatch": {"name": "If-None-Match", "in": "header", "required": false,
                      "description": "ETag(s) of a copy the client holds: 304 when one matches",
                      "schema": {"type": "string"}},
      "OrderId": {"name": "id", "in": "path", "required": true,
                  "description": "An order id as POST /orders returns it (anything else is no order: 404)",
                  "schema": {"type": "string", "pattern": "^[0-9a-f]{24}$"}},
      "CollectionName": {
        "name": "collection_name", "in": "path", "required": true,
        "description": "A collection name as the service accepts it: 1-120 ASCII letters, digits, '_', '-' and '.', not starting or ending with '.', not starting with 'system.' (anything else is a 400: no quotes, spaces, control characters or '$' reach MongoDB). A valid name outside STOREFRONT_COLLECTIONS is a 404.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 120,
                   "pattern": "^(?!system\\.)[A-Za-z0-9_-]([A-Za-z0-9_.-]{0,118}[A-Za-z0-9_-])?$"}
      }
    },
    "responses": {
      "NotModified": {"description": "The client's copy (If-None-Match) is current; no body",
                      "headers": {"ETag": {"schema": {"type": "string"}}}},
      "InsufficientStock": {"description": "Too few units available",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InsufficientStock"}}}},
      "TooLarge": {"description": "Body larger than the limit (1 MiB by default)",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "No product with this SKU (no order with this id)",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Invalid": {"description": "Validation error (FastAPI's detail list)",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}},
      "Unauthenticated": {"description": "No or a wrong Bearer token",
                          "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "AdminDisabled": {"description": "STOREFRONT_ADMIN_TOKEN is unset: admin API disabled",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "CollectionNotAllowed": {"description": "A valid collection name outside STOREFRONT_COLLECTIONS (never created), or no such user",
                               "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "BadRequest": {"description": "Invalid collection name or malformed request",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "A dependency is unavailable, or this instance sheds load (STOREFRONT_MAX_IN_FLIGHT database-bound requests in flight); retry after the Retry-After header",
                      "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Sku": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
      "Price": {
        "type": "object", "required": ["amount", "currency"],
        "properties": {"amount": {"type": "integer", "minimum": 0, "maximum": 9007199254740991, "description": "Minor units (kopecks)"},
                       "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "minLength": 3, "maxLength": 3}}
      },
      "MediaInput": {
        "type": "object", "required": ["kind", "path"],
        "properties": {
          "kind": {"type": "string", "enum": ["image", "video"]},
          "path": {"type": "string", "minLength": 1, "maxLength": 512,
                   "pattern": "^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*(/[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*)*$",
                   "description": "Relative to the media base: '/'-separated segments, no '..', no scheme"},
          "width": {"type": ["integer", "null"], "minimum": 1, "maximum": 100000},
          "height": {"type": ["integer", "null"], "minimum": 1, "maximum": 100000}
        }
      },
      "Media": {
        "type": "object", "required": ["kind", "url"],
        "properties": {"kind": {"type": "string", "enum": ["image", "video"]}, "url": {"type": "string"},
                       "width": {"type": "integer"}, "height": {"type": "integer"}}
      },
      "Attributes": {
        "type": "object", "maxProperties": 50,
        "propertyNames": {"pattern": "^[A-Za-z0-9_][A-Za-z0-9_ -]{0,63}$"},
        "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 1000}, {"type": "number"}, {"type": "boolean"}]}
      },
      "ProductInput": {
        "type": "object", "required": ["name", "category", "price"],
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200},
          "description": {"type": ["string", "null"], "maxLength": 5000},
          "category": {"type": "string", "minLength": 1, "maxLength": 100},
          "price": {"$ref": "#/components/schemas/Price"},
          "media": {"type": ["array", "null"], "maxItems": 20, "items": {"$ref": "#/components/schemas/MediaInput"}},
          "attributes": {"anyOf": [{"$ref": "#/components/schemas/Attributes"}, {"type": "null"}]}
        }
      },
      "Product": {
        "type": "object",
        "required": ["sku", "name", "description", "category", "price", "media", "attributes", "updated_at"],
        "properties": {
          "sku": {"$ref": "#/components/schemas/Sku"},
          "name": {"type": "string"}, "description": {"type": "string"}, "category": {"type": "string"},
          "price": {"$ref": "#/components/schemas/Price"},
          "media": {"type": "array", "items": {"$ref": "#/components/schemas/Media"}},
          "attributes": {"type": "object"},
          "updated_at": {"type": "string", "format": "date-time"}
        }
      },
      "ProductPage": {
        "type": "object", "required": ["products", "next"],
        "properties": {"products": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/Product"}},
                       "next": {"anyOf": [{"$ref": "#/components/schemas/Sku"}, {"type": "null"}]}}
      },
      "Categories": {
        "type": "object", "required": ["categories"],
        "properties": {"categories": {"type": "array", "items": {"type": "object", "required": ["name", "products"],
                       "properties": {"name": {"type": "string"}, "products": {"type": "integer", "minimum": 0}}}}}
      },
      "Readiness": {
        "type": "object", "required": ["status", "mongo", "cache"],
        "properties": {"status": {"type": "string", "enum": ["OK", "draining", "overloaded"]},
                       "detail": {"type": "string"},
                       "mongo": {"type": "string", "enum": ["up", "down", "unknown"], "description": "the background health probe's last ping"},
                       "cache": {"type": "string", "enum": ["up", "probing", "down", "disabled"], "description": "the Redis circuit breaker"}}
      },
      "User": {
        "type": "object", "required": ["id", "age", "name"],
        "properties": {"id": {"type": "string", "description": "ObjectId as 24 hex digits"},
                       "age": {"type": "integer"}, "name": {"type": "string"}}
      },
      "NewUser": {
        "type": "object", "required": ["age", "name"],
        "properties": {"age": {"type": "integer", "minimum": -9223372036854775808, "maximum": 9223372036854775807,
                               "description": "A 64-bit integer (stored as int32 when it fits); like pydantic, integral floats and numeric strings are accepted too"},
                       "name": {"type": "string"}}
      },
      "UsersCollection": {
        "type": "object", "required": ["users"],
        "properties": {"users": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/User"}}}
      },
      "Count": {
        "type": "object", "required": ["status", "mongo_db", "items_count"],
        "properties": {"status": {"type": "string"}, "mongo_db": {"type": "string"}, "items_count": {"type": "integer"}}
      },
      "Health": {
        "type": "object", "required": ["status"],
        "properties": {"status": {"type": "string"}, "mongo": {"type": "string"}}
      },
      "Stock": {
        "type": "object", "required": ["sku", "available", "reserved", "sold"],
        "properties": {"sku": {"$ref": "#/components/schemas/Sku"}, "available": {"type": "integer", "minimum": 0},
                       "reserved": {"type": "integer", "minimum": 0}, "sold": {"type": "integer", "minimum": 0}}
      },
      "StockDelta": {
        "type": "object", "required": ["delta"],
        "properties": {"delta": {"type": "integer", "minimum": -1000000000, "maximum": 1000000000}}
      },
      "InsufficientStock": {
        "type": "object", "required": ["detail", "sku", "requested", "available"],
        "properties": {"detail": {"type": "string"}, "sku": {"$ref": "#/components/schemas/Sku"},
                       "requested": {"type": "integer"}, "available": {"type": "integer"}}
      },
      "OrderItemInput": {
        "type": "object", "required": ["sku", "quantity"],
        "properties": {"sku": {"$ref": "#/components/schemas/Sku"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 100}}
      },
      "OrderInput": {
        "type": "object", "required": ["customer_id", "items"],
        "properties": {"customer_id": {"type": "string", "minLength": 1, "maxLength": 64},
                       "items": {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": true,
                                 "description": "Distinct SKUs (a repeated SKU is a 422); SKUs the catalog does not know are a 422",
                                 "items": {"$ref": "#/components/schemas/OrderItemInput"}}}
      },
      "OrderItem": {
        "type": "object", "required": ["sku", "quantity", "unit_price"],
        "properties": {"sku": {"$ref": "#/components/schemas/Sku"}, "quantity": {"type": "integer"},
                       "unit_price": {"$ref": "#/components/schemas/Price"}}
      },
      "Order": {
        "type": "object", "required": ["id", "status", "customer_id", "items", "total", "created_at"],
        "properties": {"id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
                       "status": {"type": "string", "enum": ["pending", "confirmed", "cancelled", "failed"]},
                       "customer_id": {"type": "string"},
                       "items": {"type": "array", "items": {"$ref": "#/components/schemas/OrderItem"}},
                       "total": {"$ref": "#/components/schemas/Price"},
                       "created_at": {"type": "string", "format": "date-time"}}
      },
      "Error": {
        "type": "object", "required": ["detail"],
        "properties": {"detail": {"type": "string"}}
      },
      "ValidationError": {
        "type": "object", "required": ["type", "loc", "msg"],
        "properties": {"type": {"type": "string"},
                       "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                       "msg": {"type": "string"}, "input": {}, "ctx": {"type": "object"}}
      },
      "HTTPValidationError": {
        "type": "object",
        "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}}
      },
      "HostPort": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2, "maxItems": 2},
      "Deployment": {
        "type": "object",
        "required": ["mongo_topology_type", "mongo_replicaset_name", "mongo_db", "read_preference",
                     "mongo_nodes", "mongo_primary_host", "mongo_secondary_hosts", "mongo_is_primary",
                     "mongo_is_mongos", "collections", "shards", "cache_enabled", "status"],
        "properties": {
          "mongo_topology_type": {"type": "string", "enum": ["Single", "ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "Unknown"]},
          "mongo_replicaset_name": {"type": ["string", "null"]},
          "mongo_db": {"type": "string"},
          "read_preference": {"type": "string"},
          "mongo_nodes": {"type": "array", "items": {"$ref": "#/components/schemas/HostPort"}},
          "mongo_primary_host": {"anyOf": [{"$ref": "#/components/schemas/HostPort"}, {"type": "null"}]},
          "mongo_secondary_hosts": {"type": "array", "items": {"$ref": "#/components/schemas/HostPort"}},
          "mongo_is_primary": {"type": "boolean"},
          "mongo_is_mongos": {"type": "boolean"},
          "collections": {"type": "object", "description": "At most STOREFRONT_ROOT_MAX_COLLECTIONS, in name order",
                          "additionalProperties": {"type": "object", "properties": {"documents_count": {"type": "integer"}}}},
          "collections_truncated": {"type": "boolean", "description": "true when the database has more collections than are listed"},
          "shards": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
          "shard_document_counts": {"type": ["object", "null"], "description": "collection -> shard -> documents (sharded only)"},
          "replica_set_members": {"type": ["array", "null"], "items": {"type": "object"}},
          "cache_enabled": {"type": "boolean"},
          "cache": {"type": "object"},
          "instance_id": {"type": "string"},
          "version": {"type": "string"},
          "status": {"type": "string"}
        }
      }
    }
  }
}
)JSON";
  return kDocument;
}

std::string_view docs_html() {
  static constexpr std::string_view kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>storefront - Swagger UI</title>
<link rel="stylesheet" type="text/css" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
</script>
</body>
</html>
)HTML";
  return kPage;
}

}  // namespace storefront::api
