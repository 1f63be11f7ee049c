// RESP parsers on the 56 KB hit path: the reply to the cache's
// MGET {generation} {entry} (a 1-byte generation and a ~56 KB body), read
// from the socket in 16 KB pieces as both Redis paths do. Each iteration
// parses one reply into Values, what the caller of mget gets.
//   ReplyParser: as AsyncConnection reads, the bulk string straight into its
//                final std::string (bulk_target) once it is that large,
//                otherwise via a 16 KB buffer and feed().
//   ReplyParserFeed: ReplyParser fed through the 16 KB buffer only.
//   HiredisReader: as redisGetReply read: a 16 KB buffer fed to redisReader,
//                  the redisReply then copied into Values (what ClientBase::mget
//                  did before it moved to ReplyParser). Built only when the
//                  hiredis headers are installed (bench/micro/CMakeLists.txt).
// The memcpy into the destination stands for the kernel's copy in recv().
#include <benchmark/benchmark.h>
#ifdef STOREFRONT_BENCH_HIREDIS
#include <hiredis/hiredis.h>
#endif

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "redis/impl/resp_parser.hpp"

namespace storefront::redis {
namespace {

constexpr std::size_t kChunk = std::size_t{16} << 10;
constexpr std::size_t kBody = 56 * 1000;

std::string hit_reply() {
  const std::string body(kBody, 'x');
  return "*2\r\n$1\r\n7\r\n$" + std::to_string(body.size()) + "\r\n" + body + "\r\n";
}

// Reads the next piece of `wire` (at most `room` bytes) into `to`.
std::size_t recv_into(std::string_view& wire, char* to, std::size_t room) {
  const auto n = std::min(room, wire.size());
  std::memcpy(to, wire.data(), n);
  wire.remove_prefix(n);
  return n;
}

Values parse_with_reply_parser(ReplyParser& parser, std::string_view wire, bool direct) {
  std::array<char, kChunk> buffer;
  while (true) {
    auto target = parser.bulk_target();
    if (direct && target.size() >= 4096) {
      parser.commit_bulk(recv_into(wire, target.data(), target.size()));
      continue;
    }
    std::string_view piece(buffer.data(), recv_into(wire, buffer.data(), buffer.size()));
    while (!piece.empty()) {
      bool protocol_error = false;
      piece.remove_prefix(parser.feed(piece, protocol_error));
      if (protocol_error) return {};
      if (parser.complete()) return to_values(parser.take()).value_or(Values{});
    }
  }
}

void run_reply_parser(benchmark::State& state, bool direct) {
  const std::string reply = hit_reply();
  ReplyParser parser;  // one per connection, as in AsyncConnection
  for (auto _ : state) {
    Values values = parse_with_reply_parser(parser, reply, direct);
    if (values.size() != 2 || !values[1] || values[1]->size() != kBody) {
      state.SkipWithError("wrong reply");
      break;
    }
    benchmark::DoNotOptimize(values);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * reply.size()));
}

void BM_HitReply_ReplyParser(benchmark::State& state) {
  run_reply_parser(state, true);
}
BENCHMARK(BM_HitReply_ReplyParser);

void BM_HitReply_ReplyParserFeed(benchmark::State& state) {
  run_reply_parser(state, false);
}
BENCHMARK(BM_HitReply_ReplyParserFeed);

#ifdef STOREFRONT_BENCH_HIREDIS
Values parse_with_hiredis(redisReader* reader, std::string_view wire) {
  std::array<char, kChunk> buffer;
  void* reply = nullptr;
  while (reply == nullptr) {
    const auto n = recv_into(wire, buffer.data(), buffer.size());
    if (n == 0 || redisReaderFeed(reader, buffer.data(), n) != REDIS_OK ||
        redisReaderGetReply(reader, &reply) != REDIS_OK) {
      return {};
    }
  }
  const auto* r = static_cast<redisReply*>(reply);
  Values values;
  values.reserve(r->elements);
  for (std::size_t i = 0; i < r->elements; ++i) {
    const redisReply& e = *r->element[i];
    if (e.type == REDIS_REPLY_STRING) {
      values.emplace_back(std::string(e.str, e.len));
    } else {
      values.emplace_back(std::nullopt);
    }
  }
  freeReplyObject(reply);
  return values;
}

void BM_HitReply_HiredisReader(benchmark::State& state) {
  const std::string reply = hit_reply();
  redisReader* reader = redisReaderCreate();  // one per connection, as in redisContext
  for (auto _ : state) {
    Values values = parse_with_hiredis(reader, reply);
    if (values.size() != 2 || !values[1] || values[1]->size() != kBody) {
      state.SkipWithError("wrong reply");
      break;
    }
    benchmark::DoNotOptimize(values);
  }
  redisReaderFree(reader);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * reply.size()));
}
BENCHMARK(BM_HitReply_HiredisReader);
#endif

}  // namespace
}  // namespace storefront::redis
