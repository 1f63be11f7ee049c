#include "api/validation_errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>
#include <cmath>

namespace storefront::api {
namespace json = boost::json;
namespace {

// JSON has no Infinity: a number literal too large for a double (1e999) is
// echoed back as null, so the 422 body is always valid JSON.
json::value finite_input(const json::value& v) {
  if (v.is_double() && !std::isfinite(v.get_double())) return nullptr;
  if (v.is_array()) {
    json::array out;
    for (const auto& item : v.get_array()) out.push_back(finite_input(item));
    return out;
  }
  if (v.is_object()) {
    json::object out;
    for (const auto& [key, item] : v.get_object()) out[key] = finite_input(item);
    return out;
  }
  return v;
}

}  // namespace

void ErrorList::add(std::string_view type, json::array loc, std::string_view msg,
                    const json::value& input, json::object ctx) {
  json::object e;
  e["type"] = type;
  e["loc"] = std::move(loc);
  e["msg"] = msg;
  e["input"] = finite_input(input);
  if (!ctx.empty()) e["ctx"] = std::move(ctx);
  errors_.push_back(std::move(e));
}

ValidationErrors ErrorList::done() const {
  return {json::serialize(errors_)};
}

ParsedBody parse_json_body(std::string_view body) {
  ParsedBody out;
  if (body.empty()) {
    ErrorList errors;
    errors.add("missing", {"body"}, "Field required", nullptr);
    out.errors = errors.done();
    return out;
  }
  json::stream_parser parser;
  boost::system::error_code ec;
  const std::size_t consumed = parser.write(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    json::object ctx;
    ctx["error"] = ec.message();
    json::object e;
    e["type"] = "json_invalid";
    e["loc"] = json::array{"body", consumed};
    e["msg"] = "JSON decode error";
    e["input"] = json::object{};
    e["ctx"] = std::move(ctx);
    out.errors = ValidationErrors{json::serialize(json::array{std::move(e)})};
    return out;
  }
  out.value = parser.release();
  out.ok = true;
  return out;
}

std::size_t code_points(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace storefront::api
