#pragma once

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/validation_errors.hpp"

// pydantic-style checks of one JSON object's fields, shared by the request
// bodies (products, stock, orders).
namespace storefront::api {

// Validates one field; each check adds at most one error, like pydantic.
class Fields {
 public:
  Fields(const boost::json::object& obj, boost::json::array base, ErrorList& errors)
      : obj_(obj), base_(std::move(base)), errors_(errors) {}

  boost::json::array loc(std::string_view field) const {
    boost::json::array l = base_;
    l.emplace_back(field);
    return l;
  }
  const boost::json::value* required(std::string_view field) {
    const auto* v = obj_.if_contains(field);
    if (!v) errors_.add("missing", loc(field), "Field required", boost::json::value(obj_));
    return v;
  }
  std::optional<std::string> string(std::string_view field, const boost::json::value& v,
                                    std::size_t min_len, std::size_t max_len,
                                    std::string_view pattern = {},
                                    bool (*matches)(std::string_view) = nullptr) {
    if (!v.is_string()) {
      errors_.add("string_type", loc(field), "Input should be a valid string", v);
      return std::nullopt;
    }
    const std::string_view s = v.get_string();
    const auto n = code_points(s);
    if (n < min_len) {
      errors_.add("string_too_short", loc(field),
                  fmt::format("String should have at least {} character{}", min_len,
                              min_len == 1 ? "" : "s"),
                  v, {{"min_length", min_len}});
      return std::nullopt;
    }
    if (n > max_len) {
      errors_.add("string_too_long", loc(field),
                  fmt::format("String should have at most {} character{}", max_len,
                              max_len == 1 ? "" : "s"),
                  v, {{"max_length", max_len}});
      return std::nullopt;
    }
    if (matches && !matches(s)) {
      errors_.add("string_pattern_mismatch", loc(field),
                  fmt::format("String should match pattern '{}'", pattern), v,
                  {{"pattern", pattern}});
      return std::nullopt;
    }
    return std::string(s);
  }
  // JSON integers, and numbers with no fractional part (JSON Schema's
  // "integer": 5.0 is one); no numeric strings.
  std::optional<std::int64_t> integer(std::string_view field, const boost::json::value& v,
                                      std::int64_t min, std::int64_t max) {
    if (v.is_double() && v.get_double() != std::floor(v.get_double())) {  // also NaN
      errors_.add("int_from_float", loc(field),
                  "Input should be a valid integer, got a number with a fractional part", v);
      return std::nullopt;
    }
    if (!v.is_int64() && !v.is_uint64() && !v.is_double()) {
      errors_.add("int_type", loc(field), "Input should be a valid integer", v);
      return std::nullopt;
    }
    const bool below = v.is_int64()    ? v.get_int64() < min
                       : v.is_double() ? v.get_double() < static_cast<double>(min)
                                       : false;
    if (below) {
      errors_.add("greater_than_equal", loc(field),
                  fmt::format("Input should be greater than or equal to {}", min), v,
                  {{"ge", min}});
      return std::nullopt;
    }
    const bool above = v.is_int64()    ? v.get_int64() > max
                       : v.is_double() ? v.get_double() > static_cast<double>(max)
                                       : true;
    if (above) {
      errors_.add("less_than_equal", loc(field),
                  fmt::format("Input should be less than or equal to {}", max), v, {{"le", max}});
      return std::nullopt;
    }
    // In range, so the cast of a double is exact and defined.
    return v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_double());
  }
  const boost::json::object* object(std::string_view field, const boost::json::value& v,
                                    bool model) {
    if (v.is_object()) return &v.get_object();
    if (model) {
      errors_.add("model_attributes_type", loc(field),
                  "Input should be a valid dictionary or object to extract fields from", v);
    } else {
      errors_.add("dict_type", loc(field), "Input should be a valid dictionary", v);
    }
    return nullptr;
  }
  ErrorList& errors() { return errors_; }

 private:
  const boost::json::object& obj_;
  boost::json::array base_;
  ErrorList& errors_;
};

}  // namespace storefront::api
