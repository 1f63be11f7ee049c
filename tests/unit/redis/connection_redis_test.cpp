// The blocking Connection on a real redis-server: pipelined replies of every
// RESP2 type, a value larger than the read buffer, IPv4 and IPv6 hosts, and
// a server that goes away mid-write (no SIGPIPE: the tests keep its default
// action, so a raised one would kill the test binary).

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "redis/impl/connection.hpp"
#include "redis_harness.hpp"

namespace storefront::redis {
namespace {

using testing::later;

class ConnectionRedisTest : public testing::StandaloneRedisFixture {
 protected:
  // Listens on both loopbacks (the last --bind wins over the harness's).
  std::vector<std::string> extra_args() override { return {"--bind", "127.0.0.1", "::1"}; }

  std::unique_ptr<Connection> open(const std::string& host = "127.0.0.1") {
    auto conn = Connection::open(host, port_, ConnectOptions{}, later());
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return conn ? std::move(conn.value()) : nullptr;
  }
};

using Args = std::vector<std::string_view>;

TEST_F(ConnectionRedisTest, PipelinesRepliesOfEveryType) {
  auto conn = open();
  ASSERT_TRUE(conn);
  const Args set{"SET", "k", "v"};
  const Args incr{"INCR", "n"};
  const Args get{"GET", "k"};
  const Args bad_incr{"INCR", "k"};
  const Args mget{"MGET", "k", "missing"};
  const Args nested{"EVAL", "return {1, {2, 'x'}, {}}", "0"};
  const Args missing{"GET", "missing"};
  auto replies = conn->run({set, incr, get, bad_incr, mget, nested, missing}, later());
  ASSERT_TRUE(replies.ok()) << replies.error().message;
  ASSERT_EQ(replies->size(), 7u);
  const auto& r = replies.value();
  EXPECT_EQ(r[0].type, Reply::Type::kStatus);
  EXPECT_EQ(r[0].str, "OK");
  EXPECT_EQ(r[1].type, Reply::Type::kInteger);
  EXPECT_EQ(r[1].integer, 1);
  EXPECT_EQ(r[2].type, Reply::Type::kString);
  EXPECT_EQ(r[2].str, "v");
  EXPECT_TRUE(r[3].is_error());  // an error reply is a reply: the pipeline goes on
  EXPECT_EQ(r[3].str.rfind("ERR", 0), 0u) << r[3].str;
  EXPECT_EQ(to_values(Reply(r[4])), (Values{"v", std::nullopt}));
  ASSERT_EQ(r[5].type, Reply::Type::kArray);
  ASSERT_EQ(r[5].elements.size(), 3u);
  EXPECT_EQ(r[5].elements[0].integer, 1);
  ASSERT_EQ(r[5].elements[1].elements.size(), 2u);
  EXPECT_EQ(r[5].elements[1].elements[1].str, "x");
  EXPECT_EQ(r[5].elements[2].type, Reply::Type::kArray);
  EXPECT_TRUE(r[5].elements[2].elements.empty());
  EXPECT_EQ(r[6].type, Reply::Type::kNil);
  EXPECT_FALSE(conn->broken());
}

TEST_F(ConnectionRedisTest, ValueLargerThanTheReadBuffer) {
  auto conn = open();
  ASSERT_TRUE(conn);
  std::string value(3 << 20, 'x');
  for (std::size_t i = 0; i < value.size(); i += 4093) value[i] = static_cast<char>('a' + i % 26);
  const Args set{"SET", "big", value};
  const Args get{"GET", "big"};
  const Args ping{"PING"};
  auto replies = conn->run({set, get, ping}, later());
  ASSERT_TRUE(replies.ok()) << replies.error().message;
  EXPECT_EQ(replies.value()[0].str, "OK");
  EXPECT_TRUE(replies.value()[1].str == value);
  EXPECT_EQ(replies.value()[2].str, "PONG");  // in step after the large reply
}

TEST_F(ConnectionRedisTest, HostNamesAndIpv6) {
  for (const std::string host : {"localhost", "::1"}) {
    SCOPED_TRACE(host);
    auto conn = open(host);
    ASSERT_TRUE(conn);
    const Args ping{"PING"};
    auto reply = conn->run(ping, later());
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    EXPECT_EQ(reply->str, "PONG");
  }
  auto unknown = Connection::open("no-such-host.invalid", port_, ConnectOptions{}, later());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ConnectionRedisTest, ServerGoneMidWriteIsUnavailableNotSigpipe) {
  auto conn = open();
  ASSERT_TRUE(conn);
  server_->kill9();
  // Larger than the socket buffers: the write meets the reset (EPIPE).
  const std::string value(8 << 20, 'x');
  const Args set{"SET", "k", value};
  auto reply = conn->run(set, later());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().kind, ErrorKind::kUnavailable) << reply.error().message;
  EXPECT_TRUE(conn->broken());
  const Args ping{"PING"};
  auto again = conn->run(ping, later());
  ASSERT_FALSE(again.ok());  // a broken connection is not used again
  EXPECT_EQ(again.error().kind, ErrorKind::kUnavailable);
}

}  // namespace
}  // namespace storefront::redis
