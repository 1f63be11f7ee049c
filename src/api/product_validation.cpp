#include "api/product_validation.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <cmath>

#include "api/field_checks.hpp"
#include "common/json_writer.hpp"

namespace storefront::api {
namespace json = boost::json;
namespace {

bool sku_char(char c, bool first) {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '.' || c == '_' || c == '-'));
}

bool segment_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool attribute_name_ok(std::string_view name) {
  if (name.empty() || name.size() > kMaxAttributeName) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool word = segment_char(c) && c != '-';
    if (!(word || (i > 0 && (c == ' ' || c == '-')))) return false;
  }
  return true;
}

// A query or path value echoed in a 422: percent-decoding may have made it
// invalid UTF-8, and the body must stay valid JSON (invalid bytes -> U+FFFD).
json::value echoed(std::string_view raw) {
  if (is_valid_utf8(raw)) return json::value(raw);
  std::string literal;
  append_json_string(literal, raw);
  return json::parse(literal);
}

json::array loc_of(std::initializer_list<json::value> parts) {
  return json::array(parts.begin(), parts.end());
}

bool currency_ok(std::string_view s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

void parse_price(Fields& f, store::ProductInput& out) {
  const auto* v = f.required("price");
  if (!v) return;
  const auto* price = f.object("price", *v, true);
  if (!price) return;
  Fields p(*price, f.loc("price"), f.errors());
  if (const auto* a = p.required("amount")) {
    if (auto n = p.integer("amount", *a, 0, kMaxAmount)) out.amount = *n;
  }
  if (const auto* c = p.required("currency")) {
    if (auto s = p.string("currency", *c, 3, 3, kCurrencyPattern, currency_ok)) out.currency = *s;
  }
}

void parse_media_item(Fields& f, const json::object& item, store::MediaInput& out) {
  if (const auto* k = f.required("kind")) {
    if (!k->is_string() || (k->get_string() != "image" && k->get_string() != "video")) {
      f.errors().add("literal_error", f.loc("kind"), "Input should be 'image' or 'video'", *k,
                     {{"expected", "'image' or 'video'"}});
    } else {
      out.kind = std::string(k->get_string());
    }
  }
  if (const auto* p = f.required("path")) {
    if (auto s = f.string("path", *p, 1, kMaxMediaPath, kMediaPathPattern, valid_media_path))
      out.path = *s;
  }
  for (const char* dim : {"width", "height"}) {
    const auto* d = item.if_contains(dim);
    if (!d || d->is_null()) continue;
    auto n = f.integer(dim, *d, 1, kMaxMediaDimension);
    (std::string_view(dim) == "width" ? out.width : out.height) = n;
  }
}

void parse_media(Fields& f, const json::object& obj, store::ProductInput& out) {
  const auto* v = obj.if_contains("media");
  if (!v || v->is_null()) return;
  const auto* items = f.list("media", *v, 0, kMaxMedia);
  if (!items) return;
  f.each_object("media", *items, [&out](std::size_t, Fields& m) {
    store::MediaInput item;
    parse_media_item(m, m.object(), item);
    out.media.push_back(std::move(item));
  });
}

bool attribute_value_ok(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return code_points(v.get_string()) <= kMaxAttributeText;
    case json::kind::bool_:
    case json::kind::int64:
    case json::kind::uint64:
      return true;
    case json::kind::double_:
      return std::isfinite(v.get_double());
    default:
      return false;
  }
}

// Integers beyond 2^53 are kept as doubles (what JSON readers make of them
// anyway), so every accepted attribute fits BSON.
json::object normalized(const json::object& attrs) {
  json::object out;
  for (const auto& [key, value] : attrs) {
    if (value.is_uint64() ||
        (value.is_int64() && (value.get_int64() > kMaxAmount || value.get_int64() < -kMaxAmount))) {
      out[key] = value.to_number<double>();
    } else {
      out[key] = value;
    }
  }
  return out;
}

void parse_attributes(Fields& f, const json::object& obj, store::ProductInput& out) {
  const auto* v = obj.if_contains("attributes");
  if (!v || v->is_null()) return;
  const auto* attrs = f.object("attributes", *v, false);
  if (!attrs) return;
  if (attrs->size() > kMaxAttributes) {
    f.errors().add("too_long", f.loc("attributes"),
                   fmt::format("Dictionary should have at most {} items after validation, not {}",
                               kMaxAttributes, attrs->size()),
                   *v,
                   {{"field_type", "Dictionary"},
                    {"max_length", kMaxAttributes},
                    {"actual_length", attrs->size()}});
    return;
  }
  bool ok = true;
  for (const auto& [key, value] : *attrs) {
    json::array loc = f.loc("attributes");
    loc.emplace_back(key);
    if (!attribute_name_ok(key)) {
      f.errors().add("string_pattern_mismatch", loc,
                     fmt::format("String should match pattern '{}'", kAttributeNamePattern),
                     json::value(key), {{"pattern", kAttributeNamePattern}});
      ok = false;
    } else if (!attribute_value_ok(value)) {
      f.errors().add("value_error", std::move(loc),
                     "Value error, attributes are strings (at most 1000 characters), finite "
                     "numbers or booleans",
                     value, {{"error", "unsupported attribute value"}});
      ok = false;
    }
  }
  if (ok) out.attributes_json = json::serialize(normalized(*attrs));
}

// pydantic's lax int for a query string: digits with an optional sign.
std::optional<std::int64_t> query_int(std::string_view s) {
  std::int64_t n = 0;
  const char* begin = s.data();
  if (!s.empty() && s.front() == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

bool valid_sku(std::string_view sku) {
  if (sku.empty() || sku.size() > kMaxSkuLength) return false;
  for (std::size_t i = 0; i < sku.size(); ++i) {
    if (!sku_char(sku[i], i == 0)) return false;
  }
  return true;
}

bool valid_media_path(std::string_view path) {
  if (path.empty()) return false;
  char prev = '/';  // a segment boundary
  for (char c : path) {
    if (c == '/' || c == '.') {
      if (prev == '/' || prev == '.') return false;  // empty segment, leading or double dot
    } else if (!segment_char(c)) {
      return false;
    }
    prev = c;
  }
  return prev != '/' && prev != '.';
}

ValidationErrors sku_errors(std::string_view sku) {
  ErrorList errors;
  errors.add("string_pattern_mismatch", loc_of({"path", "sku"}),
             fmt::format("String should match pattern '{}'", kSkuPattern), echoed(sku),
             {{"pattern", kSkuPattern}});
  return errors.done();
}

std::variant<store::ProductInput, ValidationErrors> parse_product(std::string_view body) {
  return parse_body_object<store::ProductInput>(body, [](Fields& f, store::ProductInput& out) {
    const auto& obj = f.object();
    if (const auto* v = f.required("name")) {
      if (auto s = f.string("name", *v, 1, kMaxProductName)) out.name = *s;
    }
    if (const auto* v = obj.if_contains("description"); v && !v->is_null()) {
      if (auto s = f.string("description", *v, 0, kMaxDescription)) out.description = *s;
    }
    if (const auto* v = f.required("category")) {
      if (auto s = f.string("category", *v, 1, kMaxCategory)) out.category = *s;
    }
    parse_price(f, out);
    parse_media(f, obj, out);
    parse_attributes(f, obj, out);
  });
}

std::variant<store::ProductQuery, ValidationErrors> parse_product_query(std::string_view target) {
  store::ProductQuery query;
  ErrorList errors;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return query;  // the router already rejected malformed targets
  std::optional<std::string> limit, after, category;
  for (auto param : url->params()) {
    if (param.key == "limit") limit = param.value;
    if (param.key == "after") after = param.value;
    if (param.key == "category") category = param.value;
  }
  if (limit) {
    auto n = query_int(*limit);
    if (!n) {
      errors.add("int_parsing", loc_of({"query", "limit"}),
                 "Input should be a valid integer, unable to parse string as an integer",
                 echoed(*limit));
    } else if (*n < 1) {
      errors.add("greater_than_equal", loc_of({"query", "limit"}),
                 "Input should be greater than or equal to 1", json::value(*limit), {{"ge", 1}});
    } else if (*n > kMaxPageLimit) {
      errors.add("less_than_equal", loc_of({"query", "limit"}),
                 fmt::format("Input should be less than or equal to {}", kMaxPageLimit),
                 json::value(*limit), {{"le", kMaxPageLimit}});
    } else {
      query.limit = static_cast<int>(*n);
    }
  }
  if (after) {
    if (valid_sku(*after)) {
      query.after = *after;
    } else {
      errors.add("string_pattern_mismatch", loc_of({"query", "after"}),
                 fmt::format("String should match pattern '{}'", kSkuPattern), echoed(*after),
                 {{"pattern", kSkuPattern}});
    }
  }
  if (category) {
    const auto n = code_points(*category);
    if (!is_valid_utf8(*category)) {
      errors.add("string_unicode", loc_of({"query", "category"}),
                 "Input should be a valid string, unable to parse raw data as a unicode string",
                 nullptr);
    } else if (n < 1 || n > kMaxCategory) {
      errors.add(n < 1 ? "string_too_short" : "string_too_long", loc_of({"query", "category"}),
                 n < 1 ? "String should have at least 1 character"
                       : fmt::format("String should have at most {} characters", kMaxCategory),
                 echoed(*category),
                 {{n < 1 ? "min_length" : "max_length", n < 1 ? std::size_t{1} : kMaxCategory}});
    } else {
      query.category = *category;
    }
  }
  if (!errors.empty()) return errors.done();
  return query;
}

}  // namespace storefront::api
