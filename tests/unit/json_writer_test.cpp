#include "common/json_writer.hpp"

#include <gtest/gtest.h>

namespace storefront {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quoted("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(quoted(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(quoted(std::string_view("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonString, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(quoted("Анна €𝄞"), "\"Анна €𝄞\"");
  EXPECT_EQ(quoted("a\xff"
                   "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(quoted("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // overlong
  EXPECT_EQ(quoted("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(quoted("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");                  // truncated
}

TEST(JsonString, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("Анна"));
  EXPECT_FALSE(is_valid_utf8("\xff\xfe"));
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));
}

TEST(JsonWriter, WritesNestedStructuresWithCommas) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("a");
  w.number(std::int64_t{1});
  w.key("b");
  w.begin_array();
  w.string("x");
  w.null();
  w.boolean(true);
  w.begin_object();
  w.end_object();
  w.end_array();
  w.key("c");
  w.number(2.5);
  w.key("d");
  w.raw(R"({"k":1})");
  w.end_object();
  EXPECT_EQ(out, R"({"a":1,"b":["x",null,true,{}],"c":2.5,"d":{"k":1}})");
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  w.number(1.0 / 0.0);
  w.number(3.0);
  w.end_array();
  EXPECT_EQ(out, "[null,3.0]");
}

}  // namespace
}  // namespace storefront
