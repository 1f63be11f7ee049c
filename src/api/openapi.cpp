#include "api/openapi.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <limits>

#include "api/order_validation.hpp"
#include "api/product_validation.hpp"
#include "api/router.hpp"
#include "api/validation.hpp"

#ifndef STOREFRONT_VERSION
#error "STOREFRONT_VERSION comes from CMake (project VERSION)"
#endif

namespace storefront::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kDescription =
    "C++ drop-in replacement of pymongo-api (users stored in MongoDB, cached in Redis) and the "
    "store's catalog: products with CDN media, cached reads with ETag/304 that keep serving "
    "through a database outage (X-Cache: STALE).";

// The components that state no limit; those that do are built below from
// the validators' constants.
constexpr std::string_view kFixedComponents = R"JSON({
  "securitySchemes": {
    "AdminBearer": {
      "type": "http",
      "scheme": "bearer",
      "description": "STOREFRONT_ADMIN_TOKEN; when it is unset the admin endpoints answer 403"
    },
    "WriteBearer": {
      "type": "http",
      "scheme": "bearer",
      "description": "STOREFRONT_WRITE_TOKEN; when it is unset POST /{collection_name}/users is open"
    }
  },
  "headers": {
    "ETag": {"description": "Strong validator of the body", "schema": {"type": "string"}},
    "CatalogCacheControl": {
      "description": "public, max-age=CATALOG_MAX_AGE_SECONDS",
      "schema": {"type": "string"}
    },
    "XCache": {
      "description": "HIT, MISS, BYPASS (Redis unusable) or STALE (expired entry served because MongoDB failed); absent without a cache",
      "schema": {"type": "string", "enum": ["HIT", "MISS", "BYPASS", "STALE"]}
    }
  },
  "parameters": {
    "Sku": {
      "name": "sku",
      "in": "path",
      "required": true,
      "schema": {"$ref": "#/components/schemas/Sku"}
    },
    "IfNoneMatch": {
      "name": "If-None-Match",
      "in": "header",
      "required": false,
      "description": "ETag(s) of a copy the client holds: 304 when one matches",
      "schema": {"type": "string"}
    }
  },
  "responses": {
    "NotModified": {
      "description": "The client's copy (If-None-Match) is current; no body",
      "headers": {"ETag": {"schema": {"type": "string"}}}
    },
    "InsufficientStock": {
      "description": "Too few units available",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InsufficientStock"}}}
    },
    "TooLarge": {
      "description": "Body larger than the limit (1 MiB by default)",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    },
    "NotFound": {
      "description": "No product with this SKU (no order with this id)",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    },
    "Invalid": {
      "description": "Validation error (FastAPI's detail list)",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
    },
    "Unauthenticated": {
      "description": "No or a wrong Bearer token",
      "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}},
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    },
    "AdminDisabled": {
      "description": "STOREFRONT_ADMIN_TOKEN is unset: admin API disabled",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    },
    "CollectionNotAllowed": {
      "description": "A valid collection name outside STOREFRONT_COLLECTIONS (never created), or no such user",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    },
    "BadRequest": {
      "description": "Invalid collection name or malformed request",
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    },
    "Unavailable": {
      "description": "A dependency is unavailable, or this instance sheds load (STOREFRONT_MAX_IN_FLIGHT database-bound requests in flight); retry after the Retry-After header",
      "headers": {"Retry-After": {"schema": {"type": "integer"}}},
      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }
  },
  "schemas": {
    "Media": {
      "type": "object",
      "required": ["kind", "url"],
      "properties": {
        "kind": {"type": "string", "enum": ["image", "video"]},
        "url": {"type": "string"},
        "width": {"type": "integer"},
        "height": {"type": "integer"}
      }
    },
    "Product": {
      "type": "object",
      "required": ["sku", "name", "description", "category", "price", "media", "attributes", "updated_at"],
      "properties": {
        "sku": {"$ref": "#/components/schemas/Sku"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "category": {"type": "string"},
        "price": {"$ref": "#/components/schemas/Price"},
        "media": {"type": "array", "items": {"$ref": "#/components/schemas/Media"}},
        "attributes": {"type": "object"},
        "updated_at": {"type": "string", "format": "date-time"}
      }
    },
    "Categories": {
      "type": "object",
      "required": ["categories"],
      "properties": {
        "categories": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["name", "products"],
            "properties": {"name": {"type": "string"}, "products": {"type": "integer", "minimum": 0}}
          }
        }
      }
    },
    "Readiness": {
      "type": "object",
      "required": ["status", "mongo", "cache"],
      "properties": {
        "status": {"type": "string", "enum": ["OK", "draining", "overloaded"]},
        "detail": {"type": "string"},
        "mongo": {
          "type": "string",
          "enum": ["up", "down", "unknown"],
          "description": "the background health probe's last ping"
        },
        "cache": {
          "type": "string",
          "enum": ["up", "probing", "down", "disabled"],
          "description": "the Redis circuit breaker"
        }
      }
    },
    "User": {
      "type": "object",
      "required": ["id", "age", "name"],
      "properties": {
        "id": {"type": "string", "description": "ObjectId as 24 hex digits"},
        "age": {"type": "integer"},
        "name": {"type": "string"}
      }
    },
    "UsersCollection": {
      "type": "object",
      "required": ["users"],
      "properties": {
        "users": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/User"}}
      }
    },
    "Count": {
      "type": "object",
      "required": ["status", "mongo_db", "items_count"],
      "properties": {
        "status": {"type": "string"},
        "mongo_db": {"type": "string"},
        "items_count": {"type": "integer"}
      }
    },
    "Health": {
      "type": "object",
      "required": ["status"],
      "properties": {"status": {"type": "string"}, "mongo": {"type": "string"}}
    },
    "Stock": {
      "type": "object",
      "required": ["sku", "available", "reserved", "sold"],
      "properties": {
        "sku": {"$ref": "#/components/schemas/Sku"},
        "available": {"type": "integer", "minimum": 0},
        "reserved": {"type": "integer", "minimum": 0},
        "sold": {"type": "integer", "minimum": 0}
      }
    },
    "InsufficientStock": {
      "type": "object",
      "required": ["detail", "sku", "requested", "available"],
      "properties": {
        "detail": {"type": "string"},
        "sku": {"$ref": "#/components/schemas/Sku"},
        "requested": {"type": "integer"},
        "available": {"type": "integer"}
      }
    },
    "OrderItem": {
      "type": "object",
      "required": ["sku", "quantity", "unit_price"],
      "properties": {
        "sku": {"$ref": "#/components/schemas/Sku"},
        "quantity": {"type": "integer"},
        "unit_price": {"$ref": "#/components/schemas/Price"}
      }
    },
    "Error": {"type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}}},
    "ValidationError": {
      "type": "object",
      "required": ["type", "loc", "msg"],
      "properties": {
        "type": {"type": "string"},
        "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
        "msg": {"type": "string"},
        "input": {},
        "ctx": {"type": "object"}
      }
    },
    "HTTPValidationError": {
      "type": "object",
      "properties": {"detail": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}}
    },
    "HostPort": {
      "type": "array",
      "prefixItems": [{"type": "string"}, {"type": "integer"}],
      "minItems": 2,
      "maxItems": 2
    },
    "Deployment": {
      "type": "object",
      "required": [
        "mongo_topology_type",
        "mongo_replicaset_name",
        "mongo_db",
        "read_preference",
        "mongo_nodes",
        "mongo_primary_host",
        "mongo_secondary_hosts",
        "mongo_is_primary",
        "mongo_is_mongos",
        "collections",
        "shards",
        "cache_enabled",
        "status"
      ],
      "properties": {
        "mongo_topology_type": {
          "type": "string",
          "enum": ["Single", "ReplicaSetWithPrimary", "ReplicaSetNoPrimary", "Sharded", "Unknown"]
        },
        "mongo_replicaset_name": {"type": ["string", "null"]},
        "mongo_db": {"type": "string"},
        "read_preference": {"type": "string"},
        "mongo_nodes": {"type": "array", "items": {"$ref": "#/components/schemas/HostPort"}},
        "mongo_primary_host": {"anyOf": [{"$ref": "#/components/schemas/HostPort"}, {"type": "null"}]},
        "mongo_secondary_hosts": {"type": "array", "items": {"$ref": "#/components/schemas/HostPort"}},
        "mongo_is_primary": {"type": "boolean"},
        "mongo_is_mongos": {"type": "boolean"},
        "collections": {
          "type": "object",
          "description": "At most STOREFRONT_ROOT_MAX_COLLECTIONS, in name order",
          "additionalProperties": {"type": "object", "properties": {"documents_count": {"type": "integer"}}}
        },
        "collections_truncated": {
          "type": "boolean",
          "description": "true when the database has more collections than are listed"
        },
        "shards": {"type": ["object", "null"], "additionalProperties": {"type": "string"}},
        "shard_document_counts": {
          "type": ["object", "null"],
          "description": "collection -> shard -> documents (sharded only)"
        },
        "replica_set_members": {"type": ["array", "null"], "items": {"type": "object"}},
        "cache_enabled": {"type": "boolean"},
        "cache": {"type": "object"},
        "instance_id": {"type": "string"},
        "version": {"type": "string"},
        "status": {"type": "string"}
      }
    }
  }
})JSON";

json::value ref(std::string_view kind, std::string_view name) {
  return {{"$ref", fmt::format("#/components/{}/{}", kind, name)}};
}

json::value schema_ref(std::string_view name) {
  return ref("schemas", name);
}

// A JSON string of a constant (std::string_view does not convert by itself).
json::string text(std::string_view s) {
  return json::string(s.data(), s.size());
}

json::object bounded_string(std::size_t min_length, std::size_t max_length) {
  return {{"type", "string"}, {"minLength", min_length}, {"maxLength", max_length}};
}

json::object bounded_integer(std::int64_t minimum, std::int64_t maximum) {
  return {{"type", "integer"}, {"minimum", minimum}, {"maximum", maximum}};
}

json::object with(json::object base, std::string_view key, json::value value) {
  base[key] = std::move(value);
  return base;
}

json::object object_schema(json::array required, json::object properties) {
  return {
      {"type", "object"}, {"required", std::move(required)}, {"properties", std::move(properties)}};
}

void add_parameters(json::object& parameters) {
  parameters["OrderId"] = {
      {"name", "id"},
      {"in", "path"},
      {"required", true},
      {"description", "An order id as POST /orders returns it (anything else is no order: 404)"},
      {"schema", {{"type", "string"}, {"pattern", text(kOrderIdPattern)}}}};
  parameters["CollectionName"] = {
      {"name", "collection_name"},
      {"in", "path"},
      {"required", true},
      {"description",
       fmt::format("A collection name as the service accepts it: 1-{} ASCII letters, digits, '_', "
                   "'-' and '.', not starting or ending with '.', not starting with 'system.' "
                   "(anything else is a 400: no quotes, spaces, control characters or '$' reach "
                   "MongoDB). A valid name outside STOREFRONT_COLLECTIONS is a 404.",
                   kMaxCollectionNameBytes)},
      {"schema",
       with(bounded_string(1, kMaxCollectionNameBytes), "pattern", text(kCollectionNamePattern))}};
  parameters["Category"] = {{"name", "category"},
                            {"in", "query"},
                            {"required", false},
                            {"schema", bounded_string(1, kMaxCategory)}};
  parameters["Limit"] = {
      {"name", "limit"},
      {"in", "query"},
      {"required", false},
      {"schema", with(bounded_integer(1, kMaxPageLimit), "default", store::ProductQuery{}.limit)}};
  parameters["IdempotencyKey"] = {{"name", "Idempotency-Key"},
                                  {"in", "header"},
                                  {"required", false},
                                  {"schema", with(bounded_string(1, kMaxIdempotencyKey), "pattern",
                                                  text(kIdempotencyKeyPattern))}};
}

void add_product_schemas(json::object& schemas) {
  schemas["Sku"] = {{"type", "string"}, {"pattern", text(kSkuPattern)}};
  schemas["Price"] = object_schema(
      {"amount", "currency"},
      {{"amount", with(bounded_integer(0, kMaxAmount), "description", "Minor units (kopecks)")},
       {"currency", with(bounded_string(3, 3), "pattern", text(kCurrencyPattern))}});
  const json::object dimension =
      with(bounded_integer(1, kMaxMediaDimension), "type", json::array{"integer", "null"});
  schemas["MediaInput"] = object_schema(
      {"kind", "path"},
      {{"kind", {{"type", "string"}, {"enum", json::array{"image", "video"}}}},
       {"path", with(with(bounded_string(1, kMaxMediaPath), "pattern", text(kMediaPathPattern)),
                     "description",
                     "Relative to the media base: '/'-separated segments, no '..', no scheme")},
       {"width", dimension},
       {"height", dimension}});
  schemas["Attributes"] = {
      {"type", "object"},
      {"maxProperties", kMaxAttributes},
      {"propertyNames", {{"pattern", text(kAttributeNamePattern)}}},
      {"additionalProperties",
       {{"anyOf",
         json::array{json::object{{"type", "string"}, {"maxLength", kMaxAttributeText}},
                     json::object{{"type", "number"}}, json::object{{"type", "boolean"}}}}}}};
  schemas["ProductInput"] = object_schema(
      {"name", "category", "price"},
      {{"name", bounded_string(1, kMaxProductName)},
       {"description", {{"type", json::array{"string", "null"}}, {"maxLength", kMaxDescription}}},
       {"category", bounded_string(1, kMaxCategory)},
       {"price", schema_ref("Price")},
       {"media",
        {{"type", json::array{"array", "null"}},
         {"maxItems", kMaxMedia},
         {"items", schema_ref("MediaInput")}}},
       {"attributes",
        {{"anyOf", json::array{schema_ref("Attributes"), json::object{{"type", "null"}}}}}}});
  schemas["ProductPage"] = object_schema(
      {"products", "next"},
      {{"products",
        {{"type", "array"}, {"maxItems", kMaxPageLimit}, {"items", schema_ref("Product")}}},
       {"next", {{"anyOf", json::array{schema_ref("Sku"), json::object{{"type", "null"}}}}}}});
}

void add_user_schemas(json::object& schemas) {
  constexpr auto kMinAge = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMaxAge = std::numeric_limits<std::int64_t>::max();
  schemas["NewUser"] = object_schema(
      {"age", "name"},
      {{"age", with(bounded_integer(kMinAge, kMaxAge), "description",
                    "A 64-bit integer (stored as int32 when it fits); like pydantic, integral "
                    "floats and numeric strings are accepted too")},
       {"name", {{"type", "string"}}}});
}

void add_order_schemas(json::object& schemas) {
  schemas["StockDelta"] =
      object_schema({"delta"}, {{"delta", bounded_integer(-kMaxStockDelta, kMaxStockDelta)}});
  schemas["OrderItemInput"] = object_schema(
      {"sku", "quantity"},
      {{"sku", schema_ref("Sku")}, {"quantity", bounded_integer(1, kMaxItemQuantity)}});
  schemas["OrderInput"] = object_schema(
      {"customer_id", "items"},
      {{"customer_id", bounded_string(1, kMaxCustomerId)},
       {"items",
        {{"type", "array"},
         {"minItems", 1},
         {"maxItems", kMaxOrderItems},
         {"uniqueItems", true},
         {"description",
          "Distinct SKUs (a repeated SKU is a 422); SKUs the catalog does not know are a 422"},
         {"items", schema_ref("OrderItemInput")}}}});
  schemas["Order"] = object_schema(
      {"id", "status", "customer_id", "items", "total", "created_at"},
      {{"id", {{"type", "string"}, {"pattern", text(kOrderIdPattern)}}},
       {"status",
        {{"type", "string"}, {"enum", json::array{"pending", "confirmed", "cancelled", "failed"}}}},
       {"customer_id", {{"type", "string"}}},
       {"items", {{"type", "array"}, {"items", schema_ref("OrderItem")}}},
       {"total", schema_ref("Price")},
       {"created_at", {{"type", "string"}, {"format", "date-time"}}}});
}

json::object components() {
  json::object out = json::parse(kFixedComponents).as_object();
  add_parameters(out["parameters"].as_object());
  auto& schemas = out["schemas"].as_object();
  add_product_schemas(schemas);
  add_user_schemas(schemas);
  add_order_schemas(schemas);
  return out;
}

json::object paths() {
  json::object out;
  for (const RouteSpec& spec : route_table()) {
    if (!spec.openapi_path.empty()) out[spec.openapi_path] = json::parse(spec.openapi_item);
  }
  return out;
}

std::string render_document() {
  const json::object document{{"openapi", "3.1.0"},
                              {"info",
                               {{"title", "storefront"},
                                {"version", STOREFRONT_VERSION},
                                {"description", text(kDescription)}}},
                              {"paths", paths()},
                              {"components", components()}};
  return json::serialize(document);
}

}  // namespace

std::string_view openapi_json() {
  // Built once: the document is the same for the life of the process.
  static const std::string kDocument = render_document();
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
