#include "app/cli_args.hpp"

#include <gtest/gtest.h>

#include "app/fill.hpp"
#include "app/probe.hpp"

namespace storefront::app {
namespace {

TEST(FlagValue, TakesSeparateAndJoinedValues) {
  std::vector<std::string> args{"--id", "a", "--id=b", "--idx=c", "--id"};
  std::size_t i = 0;
  EXPECT_EQ(flag_value(args, i, "--id"), "a");
  EXPECT_EQ(i, 1u);  // moved past the value
  i = 2;
  EXPECT_EQ(flag_value(args, i, "--id"), "b");
  i = 3;
  EXPECT_EQ(flag_value(args, i, "--id"), std::nullopt);  // another flag with the same prefix
  i = 4;
  EXPECT_EQ(flag_value(args, i, "--id"), std::nullopt);  // no value left
}

TEST(IntegerFlag, AcceptsTheRangeOnly) {
  EXPECT_EQ(integer_flag("--n", "0", 0, 5).value(), 0);
  EXPECT_EQ(integer_flag("--n", "5", 0, 5).value(), 5);
  for (const char* bad : {"6", "-1", "", "3x", " 3", "99999999999999999999"}) {
    auto r = integer_flag("--n", bad, 0, 5);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message, std::string("invalid --n '") + bad + "': expected 0..5");
  }
}

TEST(ProbeArgs, ParsesItsFlagsAndLeavesTheRest) {
  std::vector<std::string> rest;
  auto p =
      parse_probe_args({"--clients=8", "--id", "sku", "--mongodb-url=x", "--field", "n"}, rest);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->clients, 8);
  EXPECT_EQ(p->id, "sku");
  EXPECT_EQ(p->field, "n");
  EXPECT_EQ(p->collection, "atomicity_probe");
  EXPECT_EQ(rest, std::vector<std::string>{"--mongodb-url=x"});
}

TEST(ProbeArgs, RefusesBadValues) {
  std::vector<std::string> rest;
  EXPECT_FALSE(parse_probe_args({"--clients", "0"}, rest));
  EXPECT_FALSE(parse_probe_args({"--clients", "257"}, rest));
  EXPECT_FALSE(parse_probe_args({"--field", "a.b"}, rest));
  EXPECT_FALSE(parse_probe_args({"--field", "$inc"}, rest));
  EXPECT_FALSE(parse_probe_args({"--field="}, rest));
}

TEST(FillArgs, CountRange) {
  std::vector<std::string> rest;
  EXPECT_EQ(parse_fill_args({"--count", "100000000"}, rest)->count, 100000000);
  EXPECT_FALSE(parse_fill_args({"--count", "100000001"}, rest));
  EXPECT_FALSE(parse_fill_args({"--count=lots"}, rest));
}

}  // namespace
}  // namespace storefront::app
