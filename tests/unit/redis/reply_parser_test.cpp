// RESP2 reply parsing (the one parser of the blocking and the non-blocking
// Redis paths) and command encoding.

#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>

#include "redis/impl/resp_parser.hpp"

namespace storefront::redis {

// Readable failures: gtest prints a Reply as its RESP-like outline.
void PrintTo(const Reply& reply, std::ostream* os) {
  *os << type_name(reply.type);
  switch (reply.type) {
    case Reply::Type::kInteger:
      *os << ' ' << reply.integer;
      break;
    case Reply::Type::kArray:
      *os << '[';
      for (const auto& e : reply.elements) {
        PrintTo(e, os);
        *os << ", ";
      }
      *os << ']';
      break;
    case Reply::Type::kNil:
      break;
    default:
      *os << " \"" << reply.str << '"';
  }
}

namespace {

Reply scalar(Reply::Type type, std::string str = {}, std::int64_t integer = 0) {
  Reply r;
  r.type = type;
  r.str = std::move(str);
  r.integer = integer;
  return r;
}
Reply status(std::string s) {
  return scalar(Reply::Type::kStatus, std::move(s));
}
Reply error(std::string s) {
  return scalar(Reply::Type::kError, std::move(s));
}
Reply bulk(std::string s) {
  return scalar(Reply::Type::kString, std::move(s));
}
Reply integer(std::int64_t v) {
  return scalar(Reply::Type::kInteger, {}, v);
}
Reply nil() {
  return Reply{};
}
Reply array(std::vector<Reply> elements) {
  Reply r;
  r.type = Reply::Type::kArray;
  r.elements = std::move(elements);
  return r;
}

// Feeds `wire` in pieces of `chunk` bytes; returns the replies parsed.
std::vector<Reply> parse(std::string_view wire, std::size_t chunk, bool* protocol_error = nullptr) {
  ReplyParser parser;
  std::vector<Reply> replies;
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
  EXPECT_FALSE(parser.complete());
  return replies;
}

// Feeds wire[0, split) then the rest, the second part straight into the bulk
// string when the parser is inside one (as a socket read would).
std::vector<Reply> parse_split(std::string_view wire, std::size_t split) {
  ReplyParser parser;
  std::vector<Reply> replies;
  auto feed_all = [&](std::string_view part) {
    while (!part.empty()) {
      auto target = parser.bulk_target();
      if (!target.empty()) {
        const auto n = std::min(target.size(), part.size());
        std::copy_n(part.data(), n, target.data());
        parser.commit_bulk(n);
        part.remove_prefix(n);
        continue;
      }
      bool error = false;
      part.remove_prefix(parser.feed(part, error));
      EXPECT_FALSE(error);
      if (error) return;
      if (parser.complete()) replies.push_back(parser.take());
    }
  };
  feed_all(wire.substr(0, split));
  feed_all(wire.substr(split));
  return replies;
}

// Every RESP2 type once, nesting included, as the blocking path sees them:
// SET, GET hit and miss, INCR, DEL, an error, MGET, CLUSTER SLOTS, a nil and
// an empty array.
const std::string kWire =
    "+OK\r\n"
    "$5\r\nhello\r\n"
    "$-1\r\n"
    ":-42\r\n"
    ":9223372036854775807\r\n"
    "-MOVED 3999 127.0.0.1:6381\r\n"
    "*3\r\n$2\r\n17\r\n$-1\r\n$12\r\nhello\r\nworld\r\n"
    "*2\r\n"
    "*4\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
    "*2\r\n$0\r\n\r\n:7003\r\n"
    "*3\r\n:5461\r\n:16383\r\n*2\r\n$1\r\n?\r\n:7001\r\n"
    "*-1\r\n"
    "*0\r\n"
    "$0\r\n\r\n";

std::vector<Reply> expected_replies() {
  return {
      status("OK"),
      bulk("hello"),
      nil(),
      integer(-42),
      integer(std::numeric_limits<std::int64_t>::max()),
      error("MOVED 3999 127.0.0.1:6381"),
      array({bulk("17"), nil(), bulk("hello\r\nworld")}),  // binary safe: CRLF inside
      array({
          array({integer(0), integer(5460), array({bulk("127.0.0.1"), integer(7000), bulk("id")}),
                 array({bulk(""), integer(7003)})}),
          array({integer(5461), integer(16383), array({bulk("?"), integer(7001)})}),
      }),
      nil(),
      array({}),
      bulk(""),
  };
}

TEST(ReplyParser, EveryTypeNestedWhateverTheChunking) {
  const auto expected = expected_replies();
  for (std::size_t chunk : {1, 2, 3, 5, 7, 64, 4096}) {
    SCOPED_TRACE(chunk);
    EXPECT_EQ(parse(kWire, chunk), expected);
  }
}

TEST(ReplyParser, SplitAtEveryByteBoundary) {
  const auto expected = expected_replies();
  for (std::size_t split = 0; split <= kWire.size(); ++split) {
    SCOPED_TRACE(split);
    ASSERT_EQ(parse_split(kWire, split), expected);
  }
}

TEST(ReplyParser, TypesAreTold) {
  auto replies = parse("+PONG\r\n-ERR x\r\n:1\r\n$1\r\n1\r\n*-1\r\n*1\r\n:1\r\n", 64);
  ASSERT_EQ(replies.size(), 6u);
  EXPECT_EQ(replies[0].type, Reply::Type::kStatus);
  EXPECT_EQ(replies[0].str, "PONG");
  EXPECT_TRUE(replies[1].is_error());
  EXPECT_EQ(replies[1].str, "ERR x");
  EXPECT_EQ(replies[2].type, Reply::Type::kInteger);
  EXPECT_EQ(replies[3].type, Reply::Type::kString);
  EXPECT_NE(replies[2], replies[3]);  // :1 and "1" differ
  EXPECT_EQ(replies[4].type, Reply::Type::kNil);
  EXPECT_EQ(replies[5].type, Reply::Type::kArray);
  EXPECT_EQ(type_name(Reply::Type::kArray), "array");
}

TEST(ToValues, ArrayOfBulkStringsAndNilsOnly) {
  auto values = to_values(array({bulk("a"), nil(), bulk("")}));
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (Values{"a", std::nullopt, ""}));
  EXPECT_EQ(to_values(array({}))->size(), 0u);
  EXPECT_FALSE(to_values(bulk("a")).has_value());
  EXPECT_FALSE(to_values(nil()).has_value());
  EXPECT_FALSE(to_values(error("ERR")).has_value());
  EXPECT_FALSE(to_values(array({bulk("a"), integer(1)})).has_value());
  EXPECT_FALSE(to_values(array({array({})})).has_value());
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
  EXPECT_EQ(parser.take(), array({bulk(value)}));
  EXPECT_TRUE(parser.bulk_target().empty());
}

std::string nested(std::size_t depth) {
  std::string wire;
  for (std::size_t i = 0; i < depth; ++i) wire += "*1\r\n";
  return wire + ":1\r\n";
}

TEST(ReplyParser, NestingIsBounded) {
  bool protocol_error = true;
  auto replies = parse(nested(ReplyParser::kMaxDepth), 3, &protocol_error);
  EXPECT_FALSE(protocol_error);
  EXPECT_EQ(replies.size(), 1u);
  parse(nested(ReplyParser::kMaxDepth + 1), 3, &protocol_error);
  EXPECT_TRUE(protocol_error);
}

TEST(ReplyParser, MalformedInputIsAProtocolError) {
  const std::string too_long_array = "*" + std::to_string(ReplyParser::kMaxArray + 1) + "\r\n";
  for (std::string_view wire : {
           std::string_view("?what\r\n"),                  // unknown type
           std::string_view("\r\n"),                       // empty line
           std::string_view("$abc\r\n"),                   // not a length
           std::string_view("$-2\r\n"),                    // negative length
           std::string_view("$\r\n"),                      // no length
           std::string_view("$3\r\nabcX\r\n"),             // no CRLF after the bytes
           std::string_view("$3\r\nabc\rX"),               // CR, then no LF
           std::string_view("*1\r\n$1\r\nab\r\n"),         // bulk longer than its length
           std::string_view(":12a\r\n"),                   // not an integer
           std::string_view(":\r\n"),                      // no integer
           std::string_view(":99999999999999999999\r\n"),  // beyond int64
           std::string_view("*-2\r\n"),                    // negative count
           std::string_view("*x\r\n"),                     // not a count
           std::string_view("*2\r\n:1\r\n?\r\n"),          // unknown type inside an array
           std::string_view("$99999999999\r\n"),           // beyond the bulk limit
           std::string_view(too_long_array),               // beyond the array limit
           std::string_view("+no carriage return\n"),      // LF only
       }) {
    SCOPED_TRACE(wire);
    for (std::size_t chunk : {1, 3, 64}) {
      bool protocol_error = false;
      parse(wire, chunk, &protocol_error);
      EXPECT_TRUE(protocol_error) << chunk;
    }
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
