// RESP reply parsing and command encoding of the non-blocking cache reader.

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "redis/impl/resp_parser.hpp"

namespace storefront::redis {
namespace {

// Feeds `wire` in pieces of `chunk` bytes; returns the replies parsed.
std::vector<ReplyParser::Reply> parse(std::string_view wire, std::size_t chunk,
                                      bool* protocol_error = nullptr) {
  ReplyParser parser;
  std::vector<ReplyParser::Reply> replies;
  while (!wire.empty()) {
    auto piece = wire.substr(0, chunk);
    while (!piece.empty()) {
      bool error = false;
      const auto used = parser.feed(piece, error);
      if (error) {
        if (protocol_error) *protocol_error = true;
        return replies;
      }
      piece.remove_prefix(used);
      wire.remove_prefix(used);
      if (parser.complete()) replies.push_back(parser.take());
    }
  }
  if (protocol_error) *protocol_error = false;
  return replies;
}

TEST(ReplyParser, ArrayOfBulkStringsAndNilWhateverTheChunking) {
  const std::string wire = "*3\r\n$2\r\n17\r\n$-1\r\n$12\r\nhello\r\nworld\r\n+OK\r\n";
  for (std::size_t chunk : {1, 2, 3, 5, 7, 64}) {
    SCOPED_TRACE(chunk);
    auto replies = parse(wire, chunk);
    ASSERT_EQ(replies.size(), 2u);
    ASSERT_FALSE(replies[0].error);
    ASSERT_EQ(replies[0].values.size(), 3u);
    EXPECT_EQ(replies[0].values[0], "17");
    EXPECT_FALSE(replies[0].values[1].has_value());
    EXPECT_EQ(replies[0].values[2], "hello\r\nworld");  // binary-safe: CRLF inside the value
    EXPECT_EQ(replies[1].message, "OK");
    EXPECT_TRUE(replies[1].values.empty());
  }
}

TEST(ReplyParser, ErrorRepliesAndEmptyValues) {
  auto replies = parse("-MOVED 3999 127.0.0.1:6381\r\n*2\r\n$0\r\n\r\n$-1\r\n*0\r\n$-1\r\n", 4);
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_TRUE(replies[0].error);
  EXPECT_EQ(replies[0].message, "MOVED 3999 127.0.0.1:6381");
  ASSERT_EQ(replies[1].values.size(), 2u);
  EXPECT_EQ(replies[1].values[0], "");
  EXPECT_FALSE(replies[1].values[1].has_value());
  EXPECT_TRUE(replies[2].values.empty());
  ASSERT_EQ(replies[3].values.size(), 1u);  // a top-level nil bulk string
  EXPECT_FALSE(replies[3].values[0].has_value());
}

TEST(ReplyParser, LargeValueReadStraightIntoItsString) {
  const std::string value(100000, 'x');
  const std::string header = "*1\r\n$" + std::to_string(value.size()) + "\r\n";
  ReplyParser parser;
  bool error = false;
  EXPECT_EQ(parser.feed(header + value.substr(0, 10), error), header.size() + 10);
  ASSERT_FALSE(error);
  auto target = parser.bulk_target();
  ASSERT_EQ(target.size(), value.size() - 10);
  std::copy(value.begin() + 10, value.end(), target.begin());
  parser.commit_bulk(target.size());
  EXPECT_TRUE(parser.bulk_target().empty());
  EXPECT_FALSE(parser.complete());
  EXPECT_EQ(parser.feed("\r\n", error), 2u);
  ASSERT_TRUE(parser.complete());
  auto reply = parser.take();
  ASSERT_EQ(reply.values.size(), 1u);
  EXPECT_EQ(*reply.values[0], value);
}

TEST(ReplyParser, MalformedInputIsAProtocolError) {
  for (std::string_view wire : {
           "?what\r\n",              // unknown type
           "$abc\r\n",               // not a length
           "$-2\r\n",                // negative length
           "$3\r\nabcX\r\n",         // no CRLF after the bytes
           "*2\r\n*1\r\n",           // nested array
           "*1\r\n+OK\r\n",          // status inside an array
           "$99999999999\r\n",       // beyond the bulk limit
           "+no carriage return\n",  // LF only
       }) {
    SCOPED_TRACE(wire);
    bool protocol_error = false;
    parse(wire, 3, &protocol_error);
    EXPECT_TRUE(protocol_error);
  }
}

TEST(ReplyParser, UnterminatedLineIsBounded) {
  ReplyParser parser;
  bool error = false;
  const std::string chunk(4096, 'a');
  std::size_t fed = 0;
  parser.feed("+", error);
  while (!error && fed <= ReplyParser::kMaxLine) {
    parser.feed(chunk, error);
    fed += chunk.size();
  }
  EXPECT_TRUE(error);
}

TEST(EncodeCommand, RespArrayOfBulkStrings) {
  const std::array<std::string_view, 3> args{"MGET", "a", "{x}:\r\n"};
  EXPECT_EQ(encode_command(args), "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$6\r\n{x}:\r\n\r\n");
}

}  // namespace
}  // namespace storefront::redis
