#include "store/mongo_errors.hpp"

#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include <cstring>

namespace storefront::store {
namespace {

bson_error_t make(std::uint32_t domain, std::uint32_t code, const char* message = "x") {
  bson_error_t e{};
  e.domain = domain;
  e.code = code;
  std::strncpy(e.message, message, sizeof(e.message) - 1);
  return e;
}

TEST(MongoErrors, MapsDriverAndServerErrorsToKinds) {
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER_SELECTION, 13053)),
            ErrorKind::kUnavailable);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_CONNECT)),
            ErrorKind::kUnavailable);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
                                      "Failed to read 4 bytes: socket error or timeout")),
            ErrorKind::kTimeout);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER, 50)), ErrorKind::kTimeout);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER, 262)), ErrorKind::kTimeout);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER, 11000)), ErrorKind::kDuplicate);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER, 10107)), ErrorKind::kUnavailable);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_WRITE_CONCERN, 189)), ErrorKind::kUnavailable);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER, 73)), ErrorKind::kInvalid);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_SERVER, 13)), ErrorKind::kInternal);
  EXPECT_EQ(classify_mongo_error(make(MONGOC_ERROR_BSON, 1)), ErrorKind::kInternal);
}

TEST(MongoErrors, MessageNamesOperationDomainAndCode) {
  auto e = mongo_error(make(MONGOC_ERROR_SERVER, 50, "operation exceeded time limit"), "find");
  EXPECT_EQ(e.kind, ErrorKind::kTimeout);
  EXPECT_NE(e.message.find("find"), std::string::npos);
  EXPECT_NE(e.message.find("code 50"), std::string::npos);
}

}  // namespace
}  // namespace storefront::store
