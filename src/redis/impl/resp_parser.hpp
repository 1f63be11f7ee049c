#pragma once

// Internal to sf_redis: the one RESP2 (Redis protocol) parser, used by the
// blocking Connection and the non-blocking AsyncReader, kept apart so it can
// be tested and fuzzed without a socket.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/client.hpp"  // Values

namespace storefront::redis {

// One reply, owned. A nil bulk string and a nil array are both kNil.
struct Reply {
  enum class Type : std::uint8_t { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  std::int64_t integer = 0;     // kInteger
  std::string str;              // kStatus, kError, kString
  std::vector<Reply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool operator==(const Reply& other) const = default;
};

// The name of a reply type, for error messages ("integer", "array", ...).
std::string_view type_name(Reply::Type type);

// An array of bulk strings and nils (MGET) as Values; nullopt for any other
// reply.
std::optional<Values> to_values(Reply&& reply);

// RESP2 reply parser: simple strings, errors, integers, bulk strings and
// arrays of any of them, nested (CLUSTER SLOTS). Fed with bytes as they
// arrive; a bulk string is written into its final std::string, which the
// caller may fill directly from the socket (bulk_target()).
class ReplyParser {
 public:
  // Consumes bytes from `data`; returns how many. Stops after one complete
  // reply (take it with take()) or when more bytes are needed. Sets
  // `protocol_error` on malformed input (the connection must be dropped).
  std::size_t feed(std::string_view data, bool& protocol_error);
  bool complete() const { return complete_; }
  Reply take();

  // While inside a bulk string: where its remaining bytes go (so a large
  // value can be read from the socket straight into place), and commit().
  std::span<char> bulk_target();
  void commit_bulk(std::size_t n);

  static constexpr std::size_t kMaxLine = std::size_t{64} << 10;
  static constexpr std::int64_t kMaxBulk = std::int64_t{64} << 20;
  // CLUSTER SLOTS of a fragmented cluster has up to one entry per slot.
  static constexpr std::int64_t kMaxArray = std::int64_t{1} << 20;
  // CLUSTER SLOTS nests three deep; more is not a reply we send for.
  static constexpr std::size_t kMaxDepth = 8;

 private:
  enum class State { kLine, kBulk, kBulkEnd };
  // An array being filled and how many elements it still expects.
  struct Frame {
    Reply array;
    std::int64_t left = 0;
  };
  // Each consumes from the start of `rest` (feed_bulk_end: one byte) and
  // returns how many bytes; sets `protocol_error` on malformed input.
  std::size_t feed_line(std::string_view rest, bool& protocol_error);
  std::size_t feed_bulk_end(char next, bool& protocol_error);
  bool on_line(std::string_view line);  // false: protocol error
  // After a "$len" / "*count" header that is not nil. start_array: false
  // when the reply nests too deep.
  void start_bulk(std::size_t len);
  bool start_array(std::int64_t count);
  // Where the next element goes, built in place: the innermost open array's
  // next element, or the whole reply. element_done() once it is filled
  // closes the arrays it completes.
  Reply& next_slot();
  void element_done();

  State state_ = State::kLine;
  std::string line_;  // a line split across reads
  std::vector<Frame> open_;
  std::string bulk_;
  std::size_t bulk_filled_ = 0;
  Reply reply_;
  bool complete_ = false;
};

// "*N\r\n$len\r\narg\r\n..." for one command.
std::string encode_command(std::span<const std::string_view> args);

}  // namespace storefront::redis
