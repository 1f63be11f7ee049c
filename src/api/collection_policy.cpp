#include "api/collection_policy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "api/validation.hpp"

namespace storefront::api {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Result<CollectionPolicy> CollectionPolicy::parse(std::string_view spec) {
  CollectionPolicy policy;
  if (trim(spec) == "*") return policy;
  policy.any_ = false;
  while (true) {
    const auto comma = spec.find(',');
    const std::string_view name = trim(spec.substr(0, comma));
    if (auto problem = collection_name_problem(name)) {
      return Error{ErrorKind::kInvalid,
                   fmt::format("'{}' is not a usable collection name: {}", name, *problem)};
    }
    policy.names_.emplace_back(name);
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  std::sort(policy.names_.begin(), policy.names_.end());
  policy.names_.erase(std::unique(policy.names_.begin(), policy.names_.end()), policy.names_.end());
  return policy;
}

std::optional<CollectionPolicy::Refusal> CollectionPolicy::check(std::string_view name) const {
  if (auto problem = collection_name_problem(name)) return Refusal{400, std::move(*problem)};
  if (any_ || std::binary_search(names_.begin(), names_.end(), name)) return std::nullopt;
  return Refusal{404, fmt::format("Collection {} not found", name)};
}

}  // namespace storefront::api
