#pragma once

// What every fuzzed parser's refusal must be: a non-empty JSON list (the
// `detail` of a 422), however deep or odd the input.
#include <boost/json.hpp>
#include <string>

inline void check_errors(const std::string& detail_json) {
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(detail_json, ec, {}, options);
  if (ec || !parsed.is_array() || parsed.as_array().empty()) __builtin_trap();
}
