#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/validation_errors.hpp"
#include "store/user_store.hpp"

namespace storefront::api {

// nullopt when MongoDB would accept `name` as a user collection; otherwise
// the reason, for a 400 detail.
std::optional<std::string> collection_name_problem(std::string_view name);

// Parses and validates a POST /{collection}/users body like FastAPI + pydantic
// v2 would: on failure, the serialized `detail` list of a 422 response.
std::variant<store::NewUser, ValidationErrors> parse_new_user(std::string_view body);

}  // namespace storefront::api
