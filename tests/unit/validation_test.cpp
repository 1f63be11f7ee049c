#include "api/validation.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>
#include <regex>

#include "api/collection_policy.hpp"
#include "api/openapi.hpp"

namespace storefront::api {
namespace {

namespace json = boost::json;

TEST(CollectionName, AcceptsNamesOfTheSafePattern) {
  EXPECT_FALSE(collection_name_problem("helloDoc"));
  EXPECT_FALSE(collection_name_problem("orders.2024"));
  EXPECT_FALSE(collection_name_problem("a-b_c.d"));
  EXPECT_FALSE(collection_name_problem("system"));  // only the "system." prefix is reserved
  EXPECT_FALSE(collection_name_problem(std::string(120, 'x')));
}

TEST(CollectionName, RejectsEverythingOutsideThePatternWithAReason) {
  EXPECT_EQ(collection_name_problem(""), "Collection name must not be empty");
  EXPECT_EQ(collection_name_problem(std::string(121, 'x')),
            "Collection name is longer than 120 characters");
  EXPECT_EQ(collection_name_problem("system.users"), "System collections are not accessible");
  EXPECT_EQ(collection_name_problem(".x"), "Collection name must not start or end with '.'");
  EXPECT_EQ(collection_name_problem("x."), "Collection name must not start or end with '.'");
  // Quotes (POST /%22/users answered 500 on the stand-in), control
  // characters, '$', spaces, slashes and non-ASCII never reach MongoDB.
  for (std::string bad : {"\"", "a\"b", "'", "`", "\\", "a$b", "$cmd", "a b", "a\tb", "a\x7f",
                          "a/b", "\xff", "Заказы", "a%b", "{}"}) {
    EXPECT_EQ(collection_name_problem(bad),
              "Collection name may contain only ASCII letters, digits, '_', '-' and '.'")
        << bad;
  }
  EXPECT_TRUE(collection_name_problem(std::string("a\0b", 3)));
  EXPECT_TRUE(collection_name_problem(std::string("\x01", 1)));
}

// The pattern the OpenAPI document states is the one the code applies: the
// same string, and the same verdict on random names over an alphabet of
// allowed and forbidden characters (ECMAScript regex, as clients use it).
TEST(CollectionName, OpenApiPatternAgreesWithTheCode) {
  const auto doc = json::parse(openapi_json());
  const auto& schema = doc.at_pointer("/components/parameters/CollectionName/schema");
  EXPECT_EQ(schema.at("pattern").as_string(), kCollectionNamePattern);
  EXPECT_EQ(schema.at("maxLength").as_int64(), 120);
  const std::regex pattern{std::string(kCollectionNamePattern), std::regex::ECMAScript};
  const std::string alphabet = "aZ09_-.$\"' /\\\x01\x7fs";
  std::mt19937 rng(14);
  std::vector<std::string> names{
      "system.", "system.x", "systemx", "system", "xsystem.y",           "-",
      "_",       ".",        "..",      "a..b",   std::string(120, 'a'), std::string(121, 'a')};
  for (int i = 0; i < 20000; ++i) {
    std::string name;
    const int len = static_cast<int>(rng() % 9);
    for (int k = 0; k < len; ++k) name.push_back(alphabet[rng() % alphabet.size()]);
    if (rng() % 8 == 0) name = "system." + name;
    names.push_back(name);
  }
  for (const auto& name : names) {
    EXPECT_EQ(std::regex_match(name, pattern), !collection_name_problem(name)) << name;
  }
}

TEST(CollectionPolicy, StarAllowsAnyValidName) {
  auto policy = CollectionPolicy::parse("*").value();
  EXPECT_TRUE(policy.any());
  EXPECT_FALSE(policy.check("anything"));
  EXPECT_EQ(policy.check("a\"b")->status, 400u);
}

TEST(CollectionPolicy, AListAllowsOnlyItsNames) {
  auto policy = CollectionPolicy::parse("helloDoc, orders ,helloDoc").value();
  EXPECT_FALSE(policy.any());
  EXPECT_EQ(policy.names(), (std::vector<std::string>{"helloDoc", "orders"}));
  EXPECT_FALSE(policy.check("helloDoc"));
  EXPECT_FALSE(policy.check("orders"));
  auto other = policy.check("other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404u);
  EXPECT_EQ(other->detail, "Collection other not found");
  EXPECT_EQ(policy.check("$x")->status, 400u);        // invalid stays 400, listed or not
  EXPECT_EQ(policy.check("hellodoc")->status, 404u);  // names are case-sensitive, like MongoDB
}

TEST(CollectionPolicy, RejectsInvalidEntries) {
  for (const char* spec : {"", "a,,b", "a,system.users", "a b", "*,a", "a,"}) {
    auto policy = CollectionPolicy::parse(spec);
    EXPECT_FALSE(policy) << spec;
  }
  EXPECT_NE(CollectionPolicy::parse("ok,$bad").error().message.find("'$bad'"), std::string::npos);
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
