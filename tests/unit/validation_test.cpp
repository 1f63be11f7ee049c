#include "api/validation.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace storefront::api {
namespace {

namespace json = boost::json;

TEST(CollectionName, AcceptsOrdinaryNames) {
  EXPECT_FALSE(collection_name_problem("helloDoc"));
  EXPECT_FALSE(collection_name_problem("orders.2024"));
  EXPECT_FALSE(collection_name_problem(std::string(120, 'x')));
  EXPECT_FALSE(collection_name_problem("Заказы"));
}

TEST(CollectionName, RejectsWhatMongoDbWouldOrSystemCollections) {
  EXPECT_TRUE(collection_name_problem(""));
  EXPECT_TRUE(collection_name_problem(std::string(121, 'x')));
  EXPECT_TRUE(collection_name_problem("a$b"));
  EXPECT_TRUE(collection_name_problem(std::string("a\0b", 3)));
  EXPECT_TRUE(collection_name_problem("system.users"));
  EXPECT_TRUE(collection_name_problem(".x"));
  EXPECT_TRUE(collection_name_problem("x."));
  EXPECT_TRUE(collection_name_problem("\xff"));
}

store::NewUser ok(std::string_view body) {
  auto r = parse_new_user(body);
  EXPECT_TRUE(std::holds_alternative<store::NewUser>(r)) << body;
  return std::holds_alternative<store::NewUser>(r) ? std::get<store::NewUser>(r) : store::NewUser{};
}

json::array errors(std::string_view body) {
  auto r = parse_new_user(body);
  EXPECT_TRUE(std::holds_alternative<ValidationErrors>(r)) << body;
  if (!std::holds_alternative<ValidationErrors>(r)) return {};
  return json::parse(std::get<ValidationErrors>(r).detail_json).as_array();
}

TEST(NewUser, ParsesValidBodiesAndIgnoresUnknownKeys) {
  auto u = ok(R"({"age": 30, "name": "Ann", "id": "x", "_id": 5, "extra": [1]})");
  EXPECT_EQ(u.age, 30);
  EXPECT_EQ(u.name, "Ann");
  EXPECT_EQ(ok(R"({"age": "  42 ", "name": ""})").age, 42);
  EXPECT_EQ(ok(R"({"age": -7.0, "name": "x"})").age, -7);
  EXPECT_EQ(ok(R"({"age": 9223372036854775807, "name": "x"})").age, INT64_MAX);
}

TEST(NewUser, MissingFieldsReportTheWholeBodyAsInput) {
  auto e = errors(R"({"name": "x"})");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].at("type"), "missing");
  EXPECT_EQ(e[0].at("loc"), json::parse(R"(["body","age"])"));
  EXPECT_EQ(e[0].at("msg"), "Field required");
  EXPECT_EQ(e[0].at("input"), json::parse(R"({"name":"x"})"));
}

TEST(NewUser, TypeErrorsFollowPydantic) {
  EXPECT_EQ(errors(R"({"age": "x1", "name": "a"})")[0].at("type"), "int_parsing");
  EXPECT_EQ(errors(R"({"age": 1.5, "name": "a"})")[0].at("type"), "int_from_float");
  EXPECT_EQ(errors(R"({"age": {}, "name": "a"})")[0].at("type"), "int_type");
  EXPECT_EQ(errors(R"({"age": false, "name": "a"})")[0].at("type"), "int_type");
  EXPECT_EQ(errors(R"({"age": 18446744073709551615, "name": "a"})")[0].at("type"),
            "int_parsing_size");
  EXPECT_EQ(errors(R"({"age": 1e30, "name": "a"})")[0].at("type"), "int_parsing_size");
  // Found by fuzz_new_user: an integer literal too large for uint64 parses as a double.
  EXPECT_EQ(errors(R"({"age":333321233333333333333333333})")[0].at("type"), "int_parsing_size");
  EXPECT_EQ(errors(R"({"age": -1e300, "name": "a"})")[0].at("type"), "int_parsing_size");
  // Found by fuzz_new_user: 1e999 is infinity, which JSON cannot carry back.
  auto inf = errors(R"({"age": 1e999, "other": [1e999]})");
  EXPECT_EQ(inf[0].at("type"), "int_parsing_size");
  EXPECT_EQ(inf[0].at("input"), nullptr);
  EXPECT_EQ(inf[1].at("input"), json::parse(R"({"age": null, "other": [null]})"));
  EXPECT_EQ(errors(R"({"age": 1, "name": 1})")[0].at("type"), "string_type");
  EXPECT_EQ(errors(R"({"age": 1, "name": null})")[0].at("input"), nullptr);
  EXPECT_EQ(errors(R"({"age": null, "name": null})").size(), 2u);
}

TEST(NewUser, NonObjectAndInvalidJson) {
  EXPECT_EQ(errors("[1]")[0].at("type"), "model_attributes_type");
  EXPECT_EQ(errors("\"str\"")[0].at("loc"), json::parse(R"(["body"])"));
  auto e = errors(R"({"age": 1,)");
  EXPECT_EQ(e[0].at("type"), "json_invalid");
  EXPECT_EQ(e[0].at("loc").as_array()[0], "body");
  EXPECT_TRUE(e[0].at("loc").as_array()[1].is_number());
  EXPECT_EQ(errors("")[0].at("type"), "missing");
  EXPECT_EQ(errors("{} trailing")[0].at("type"), "json_invalid");
}

}  // namespace
}  // namespace storefront::api
