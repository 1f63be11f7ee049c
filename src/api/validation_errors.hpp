#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

namespace storefront::api {

// A 422 body's `detail` list, serialized.
struct ValidationErrors {
  std::string detail_json;  // [{"type":...,"loc":[...],"msg":...,"input":...}, ...]
};

// Collects errors in pydantic v2's shape: {type, loc, msg, input[, ctx]}.
class ErrorList {
 public:
  void add(std::string_view type, boost::json::array loc, std::string_view msg,
           const boost::json::value& input, boost::json::object ctx = {});
  void add(std::string_view type, std::initializer_list<boost::json::value> loc,
           std::string_view msg, const boost::json::value& input) {
    add(type, boost::json::array(loc.begin(), loc.end()), msg, input);
  }
  bool empty() const { return errors_.empty(); }
  ValidationErrors done() const;

 private:
  boost::json::array errors_;
};

// Parses a JSON body like FastAPI: the value, or the json_invalid /
// missing-body error.
struct ParsedBody {
  boost::json::value value;
  bool ok = false;
  ValidationErrors errors;
};
ParsedBody parse_json_body(std::string_view body);

// Length in Unicode code points, as pydantic counts string lengths.
std::size_t code_points(std::string_view utf8);

}  // namespace storefront::api
