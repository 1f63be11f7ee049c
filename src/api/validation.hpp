#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "api/validation_errors.hpp"
#include "store/user_store.hpp"

namespace storefront::api {

// The names the collection routes accept, as stated in the OpenAPI document:
// 1-120 ASCII letters, digits, '_', '-', '.'; not starting or ending with '.';
// not starting with "system.".
inline constexpr std::size_t kMaxCollectionNameBytes = 120;
inline constexpr std::string_view kCollectionNamePattern =
    R"(^(?!system\.)[A-Za-z0-9_-]([A-Za-z0-9_.-]{0,118}[A-Za-z0-9_-])?$)";

// nullopt when `name` matches kCollectionNamePattern; otherwise the reason,
// for a 400 detail.
std::optional<std::string> collection_name_problem(std::string_view name);

// Parses and validates a POST /{collection}/users body like FastAPI + pydantic
// v2 would: on failure, the serialized `detail` list of a 422 response.
std::variant<store::NewUser, ValidationErrors> parse_new_user(std::string_view body);

}  // namespace storefront::api
