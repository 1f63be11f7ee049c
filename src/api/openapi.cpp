#include "api/openapi.hpp"

namespace storefront::api {

std::string_view openapi_json() {
  static constexpr std::string_view kDocument = R"JSON({
  "openapi": "3.1.0",
  "info": {
    "title": "storefront",
    "version": "0.1.0",
    "description": "C++ drop-in replacement of pymongo-api: users stored in MongoDB, cached in Redis."
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
                  "headers": {"X-Cache": {"schema": {"type": "string", "enum": ["HIT", "MISS", "BYPASS"]}}},
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsersCollection"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      },
      "post": {
        "summary": "Create a user",
        "operationId": "create_user",
        "parameters": [{"$ref": "#/components/parameters/CollectionName"}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewUser"}}}
        },
        "responses": {
          "201": {"description": "The stored user with its new id",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
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
          "404": {"description": "No user with this name",
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
        "summary": "Readiness: MongoDB answers a ping within the timeout and the instance is not draining",
        "operationId": "health_ready",
        "responses": {
          "200": {"description": "Ready",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
          "503": {"$ref": "#/components/responses/Unavailable"}
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
    "parameters": {
      "CollectionName": {
        "name": "collection_name", "in": "path", "required": true,
        "description": "A MongoDB collection name: 1-120 bytes, no '$' or NUL, not system.*",
        "schema": {"type": "string", "minLength": 1, "maxLength": 120}
      }
    },
    "responses": {
      "BadRequest": {"description": "Invalid collection name or malformed request",
                     "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "A dependency is unavailable; retry after the Retry-After header",
                      "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "User": {
        "type": "object", "required": ["id", "age", "name"],
        "properties": {"id": {"type": "string", "description": "ObjectId as 24 hex digits"},
                       "age": {"type": "integer"}, "name": {"type": "string"}}
      },
      "NewUser": {
        "type": "object", "required": ["age", "name"],
        "properties": {"age": {"type": "integer"}, "name": {"type": "string"}}
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
          "collections": {"type": "object", "additionalProperties": {"type": "object", "properties": {"documents_count": {"type": "integer"}}}},
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
