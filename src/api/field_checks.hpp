#pragma once

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

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
  // A list of min..max items; nullptr after the error (list_type, too_short, too_long).
  const boost::json::array* list(std::string_view field, const boost::json::value& v,
                                 std::size_t min, std::size_t max) {
    if (!v.is_array()) {
      errors_.add("list_type", loc(field), "Input should be a valid list", v);
      return nullptr;
    }
    const std::size_t n = v.get_array().size();
    if (n < min || n > max) {
      const bool shorter = n < min;
      errors_.add(shorter ? "too_short" : "too_long", loc(field),
                  fmt::format("List should have at {} {} item{} after validation, not {}",
                              shorter ? "least" : "most", shorter ? min : max,
                              (shorter ? min : max) == 1 ? "" : "s", n),
                  v,
                  {{"field_type", "List"},
                   {shorter ? "min_length" : "max_length", shorter ? min : max},
                   {"actual_length", n}});
      return nullptr;
    }
    return &v.get_array();
  }
  // visit(index, fields of the item) for every object of the list `field`;
  // any other item is a model_attributes_type error.
  template <class Visit>
  void each_object(std::string_view field, const boost::json::array& items, Visit visit) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      boost::json::array l = loc(field);
      l.emplace_back(i);
      if (!items[i].is_object()) {
        errors_.add("model_attributes_type", std::move(l),
                    "Input should be a valid dictionary or object to extract fields from",
                    items[i]);
        continue;
      }
      Fields item(items[i].get_object(), std::move(l), errors_);
      visit(i, item);
    }
  }
  const boost::json::object& object() const { return obj_; }
  ErrorList& errors() { return errors_; }

 private:
  const boost::json::object& obj_;
  boost::json::array base_;
  ErrorList& errors_;
};

// Parses `body` as a JSON object and hands its fields to `fill`: the value,
// or every error (bad JSON, not an object, what `fill` found).
template <class T, class Fill>
std::variant<T, ValidationErrors> parse_body_object(std::string_view body, Fill fill) {
  auto parsed = parse_json_body(body);
  if (!parsed.ok) return parsed.errors;
  ErrorList errors;
  if (!parsed.value.is_object()) {
    errors.add("model_attributes_type", {"body"},
               "Input should be a valid dictionary or object to extract fields from", parsed.value);
    return errors.done();
  }
  Fields f(parsed.value.get_object(), boost::json::array{"body"}, errors);
  T out{};
  fill(f, out);
  if (!errors.empty()) return errors.done();
  return out;
}

}  // namespace storefront::api
