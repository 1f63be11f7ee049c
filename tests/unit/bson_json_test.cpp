#include "store/bson_json.hpp"

#include <gtest/gtest.h>

#include "bson_doc.hpp"

namespace storefront::store {
namespace {

using testing::Doc;

std::string user(const char* json) {
  Doc d(json);
  std::string out;
  append_user_json(out, d.get());
  return out;
}

TEST(UserJson, RendersIdAgeNameInModelOrder) {
  EXPECT_EQ(user(R"({"name": "ly1", "_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "age": 1})"),
            R"({"id":"65a1b2c3d4e5f60718293a4b","age":1,"name":"ly1"})");
}

TEST(UserJson, AcceptsEveryNumericAgeType) {
  EXPECT_EQ(user(R"({"_id": 1, "age": {"$numberLong": "9000000000"}, "name": "x"})"),
            R"({"id":1,"age":9000000000,"name":"x"})");
  EXPECT_EQ(user(R"({"_id": "s", "age": {"$numberDouble": "2.5"}, "name": "x"})"),
            R"({"id":"s","age":2.5,"name":"x"})");
}

TEST(UserJson, MissingFieldsAreNullAndExtraFieldsIgnored) {
  EXPECT_EQ(user(R"({"other": true})"), R"({"id":null,"age":null,"name":null})");
}

TEST(UserJson, EscapesNames) {
  EXPECT_EQ(user(R"({"_id": 1, "age": 1, "name": "a\"b\n"})"),
            R"({"id":1,"age":1,"name":"a\"b\n"})");
}

std::string value(const char* json) {
  Doc d(json);
  bson_iter_t it;
  EXPECT_TRUE(bson_iter_init_find(&it, d.get(), "v"));
  std::string out;
  append_bson_value_json(out, &it);
  return out;
}

TEST(BsonValueJson, RendersNestedAndSpecialTypes) {
  EXPECT_EQ(value(R"({"v": {"a": [1, "x", null, false]}})"), R"({"a":[1,"x",null,false]})");
  EXPECT_EQ(value(R"({"v": {"$date": {"$numberLong": "1700000000123"}}})"),
            R"("2023-11-14T22:13:20.123Z")");
  EXPECT_EQ(value(R"({"v": {"$numberDecimal": "1.10"}})"), R"("1.10")");
  EXPECT_EQ(value(R"({"v": {"$binary": {"base64": "AA==", "subType": "00"}}})"), "null");
}

}  // namespace
}  // namespace storefront::store
