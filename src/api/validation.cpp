#include "api/validation.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "common/json_writer.hpp"

namespace storefront::api {
namespace json = boost::json;

namespace {

// pydantic's lax int: integers, floats without a fraction, numeric strings.
std::optional<std::int64_t> parse_age(const json::value& v, ErrorList& errors) {
  auto fail = [&](std::string_view type, std::string_view msg) {
    errors.add(type, {"body", "age"}, msg, v);
    return std::nullopt;
  };
  switch (v.kind()) {
    case json::kind::int64:
      return v.get_int64();
    case json::kind::uint64:
      return fail("int_parsing_size",
                  "Unable to parse input string as an integer, exceeded maximum size");
    case json::kind::double_: {
      const double d = v.get_double();
      if (d != std::floor(d)) {  // also NaN
        return fail("int_from_float",
                    "Input should be a valid integer, got a number with a fractional part");
      }
      // Range check before the cast: converting an out-of-range double is UB.
      // A literal just below INT64_MIN also parses as the double -2^63: reject it too.
      if (d >= 9223372036854775808.0 || d <= -9223372036854775808.0) {
        return fail("int_parsing_size",
                    "Unable to parse input string as an integer, exceeded maximum size");
      }
      return static_cast<std::int64_t>(d);
    }
    case json::kind::string: {
      std::string_view s = v.get_string();
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      std::int64_t out = 0;
      const char* begin = s.data();
      if (!s.empty() && s.front() == '+') ++begin;
      auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), out);
      if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return fail("int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer");
      }
      return out;
    }
    default:
      return fail("int_type", "Input should be a valid integer");
  }
}

}  // namespace

std::optional<std::string> collection_name_problem(std::string_view name) {
  // The documented safe pattern (kCollectionNamePattern): a whitelist, so a
  // quote, a control character, '$', a space or a byte of another script
  // never reaches MongoDB (or the stand-in, which answered 500 to '"').
  if (name.empty()) return "Collection name must not be empty";
  if (name.size() > kMaxCollectionNameBytes) {
    return fmt::format("Collection name is longer than {} characters", kMaxCollectionNameBytes);
  }
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!allowed) {
      return "Collection name may contain only ASCII letters, digits, '_', '-' and '.'";
    }
  }
  if (name.rfind("system.", 0) == 0) return "System collections are not accessible";
  if (name.front() == '.' || name.back() == '.') {
    return "Collection name must not start or end with '.'";
  }
  return std::nullopt;
}

std::variant<store::NewUser, ValidationErrors> parse_new_user(std::string_view body) {
  ErrorList errors;
  auto parsed = parse_json_body(body);
  if (!parsed.ok) return parsed.errors;
  const json::value& root = parsed.value;
  if (!root.is_object()) {
    errors.add("model_attributes_type", {"body"},
               "Input should be a valid dictionary or object to extract fields from", root);
    return errors.done();
  }
  const auto& obj = root.get_object();
  store::NewUser user;
  std::optional<std::int64_t> age;
  if (const auto* v = obj.if_contains("age")) {
    age = parse_age(*v, errors);
  } else {
    errors.add("missing", {"body", "age"}, "Field required", root);
  }
  if (const auto* v = obj.if_contains("name")) {
    if (v->is_string()) {
      user.name = std::string(v->get_string());
    } else {
      errors.add("string_type", {"body", "name"}, "Input should be a valid string", *v);
    }
  } else {
    errors.add("missing", {"body", "name"}, "Field required", root);
  }
  if (!errors.empty()) return errors.done();
  user.age = *age;
  return user;
}

}  // namespace storefront::api
