#include "api/router.hpp"

#include <gtest/gtest.h>

namespace storefront::api {
namespace {

TEST(Router, MatchesEveryEndpoint) {
  EXPECT_EQ(match_route("/").route, Route::kRoot);
  EXPECT_EQ(match_route("/?x=1").route, Route::kRoot);
  EXPECT_EQ(match_route("/metrics").route, Route::kMetrics);
  EXPECT_EQ(match_route("/openapi.json").route, Route::kOpenApi);
  EXPECT_EQ(match_route("/docs").route, Route::kDocs);
  EXPECT_EQ(match_route("/health/live").route, Route::kHealthLive);
  EXPECT_EQ(match_route("/health/ready").route, Route::kHealthReady);
  auto count = match_route("/helloDoc/count");
  EXPECT_EQ(count.route, Route::kCount);
  EXPECT_EQ(count.collection, "helloDoc");
  EXPECT_EQ(match_route("/helloDoc/users").route, Route::kUsers);
  auto user = match_route("/helloDoc/users/ly1?fields=all");
  EXPECT_EQ(user.route, Route::kUser);
  EXPECT_EQ(user.collection, "helloDoc");
  EXPECT_EQ(user.name, "ly1");
  auto asset = match_route("/docs/assets/swagger-ui.css");
  EXPECT_EQ(asset.route, Route::kDocsAsset);
  EXPECT_EQ(asset.name, "swagger-ui.css");
}

TEST(Router, DecodesPercentEncoding) {
  auto m = match_route("/my%20coll/users/%D0%90%2F1");
  EXPECT_EQ(m.route, Route::kUser);
  EXPECT_EQ(m.collection, "my coll");
  EXPECT_EQ(m.name, "\xD0\x90/1");
}

TEST(Router, UnknownAndMalformedTargets) {
  EXPECT_EQ(match_route("/a/b/c/d").route, Route::kUnmatched);
  EXPECT_EQ(match_route("/health").route, Route::kUnmatched);
  EXPECT_EQ(match_route("/x/other").route, Route::kUnmatched);
  EXPECT_EQ(match_route("/bad%zz/count").route, Route::kBadTarget);
  EXPECT_EQ(match_route("http://absolute/form").route, Route::kBadTarget);
}

TEST(Router, TemplatesNeverContainRawPaths) {
  EXPECT_EQ(route_template(match_route("/secret-name/users/bob").route),
            "/{collection}/users/{name}");
  EXPECT_EQ(route_template(match_route("/zzz/zzz/zzz/zzz").route), "unmatched");
  EXPECT_EQ(allowed_methods(Route::kUsers), "GET, POST");
  EXPECT_EQ(allowed_methods(Route::kCount), "GET");
}

}  // namespace
}  // namespace storefront::api
