#include "api/http_caching.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "api/product_validation.hpp"

namespace storefront::api {
namespace {

TEST(StrongEtag, DependsOnEveryByteAndTheLength) {
  const std::string body(10000, 'x');
  const auto etag = strong_etag(body);
  EXPECT_EQ(etag.size(), 18u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag, strong_etag(body));  // the same on every instance
  std::set<std::string> seen{etag, strong_etag(""), strong_etag(body + "x")};
  for (std::size_t i : {0u, 7u, 31u, 32u, 9990u, 9999u}) {
    std::string changed = body;
    changed[i] = 'y';
    seen.insert(strong_etag(changed));
  }
  EXPECT_EQ(seen.size(), 9u);
}

TEST(IfNoneMatch, ListsStarsAndWeakTags) {
  EXPECT_TRUE(if_none_match_hits("\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_hits("W/\"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_hits("\"b\" , \"a\"", "\"a\""));
  EXPECT_TRUE(if_none_match_hits("*", "\"a\""));
  EXPECT_FALSE(if_none_match_hits("", "\"a\""));
  EXPECT_FALSE(if_none_match_hits("\"ab\"", "\"a\""));
  EXPECT_FALSE(if_none_match_hits("a", "\"a\""));
}

TEST(MediaPath, RelativeSegmentsOnly) {
  for (const char* ok : {"a.png", "products/sku-1/0.png", "a_b/c-d.e.f"}) {
    EXPECT_TRUE(valid_media_path(ok)) << ok;
  }
  for (const char* bad : {"", "/a.png", "../a", "a/../b", "a/./b", "a..b", "a/", ".a", "a.",
                          "https://x/a.png", "a\\b", "a b", "a?x", "a//b"}) {
    EXPECT_FALSE(valid_media_path(bad)) << bad;
  }
}

TEST(Sku, Pattern) {
  EXPECT_TRUE(valid_sku("sku-00001"));
  EXPECT_TRUE(valid_sku("A"));
  EXPECT_TRUE(valid_sku(std::string(64, 'a')));
  EXPECT_FALSE(valid_sku(std::string(65, 'a')));
  EXPECT_FALSE(valid_sku("-a"));
  EXPECT_FALSE(valid_sku(".a"));
  EXPECT_FALSE(valid_sku("a/b"));
  EXPECT_FALSE(valid_sku(""));
}

}  // namespace
}  // namespace storefront::api
