#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace storefront::api {

// Which collections the users API may touch (STOREFRONT_COLLECTIONS): any
// name of the safe pattern ("*", the pymongo-api behaviour) or a fixed list,
// so a client cannot create collections at will.
class CollectionPolicy {
 public:
  // The answer for a name that may not be used: the status and its detail.
  struct Refusal {
    unsigned status;  // 400: not a valid name; 404: valid but not in the list
    std::string detail;
  };

  // "*" or a comma list of names (spaces around names ignored); every name
  // must match the safe pattern. Errors say which entry is wrong.
  static Result<CollectionPolicy> parse(std::string_view spec);

  // nullopt when the API may use `name`.
  std::optional<Refusal> check(std::string_view name) const;

  bool any() const { return any_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  bool any_ = true;
  std::vector<std::string> names_;  // sorted
};

}  // namespace storefront::api
