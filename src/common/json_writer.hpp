#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace storefront {

// Appends JSON to a string with no intermediate DOM. Handles commas and
// string escaping; the caller is responsible for well-formed nesting.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k);
  void string(std::string_view s);
  void number(std::int64_t v);
  void number(double v);
  void boolean(bool v);
  void null();
  // Inserts an already-serialized JSON value.
  void raw(std::string_view json);

 private:
  void open(char c);
  void close(char c);
  void before_value();

  static constexpr int kMaxDepth = 128;
  std::string& out_;
  int depth_ = 0;
  bool first_[kMaxDepth] = {true};
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (with quotes). Invalid UTF-8 bytes are
// replaced by U+FFFD so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view s);

bool is_valid_utf8(std::string_view s);

}  // namespace storefront
