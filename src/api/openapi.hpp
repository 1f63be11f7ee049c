#pragma once

#include <string_view>

namespace storefront::api {

// The OpenAPI 3.1 description of every endpoint (served at /openapi.json).
std::string_view openapi_json();

// The Swagger UI page (served at /docs); its assets are under /docs/assets/.
std::string_view docs_html();

}  // namespace storefront::api
