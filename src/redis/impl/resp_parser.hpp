#pragma once

// Internal to sf_redis: the RESP (Redis protocol) pieces AsyncReader needs,
// kept apart so they can be tested and fuzzed without a socket.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/client.hpp"  // Values

namespace storefront::redis {

// RESP reply parser for what AsyncReader sends: simple strings, errors,
// integers, bulk strings and arrays of bulk strings (no nesting). Fed with
// bytes as they arrive; a bulk string is written into its final std::string,
// which the caller may fill directly from the socket (bulk_target()).
class ReplyParser {
 public:
  struct Reply {
    bool error = false;
    std::string message;  // error replies and simple strings
    Values values;        // a bulk string is one value, an array its elements
  };

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

 private:
  enum class State { kLine, kBulk, kBulkEnd };
  // Each consumes from the start of `rest` (feed_bulk_end: one byte) and
  // returns how many bytes; sets `protocol_error` on malformed input.
  std::size_t feed_line(std::string_view rest, bool& protocol_error);
  std::size_t feed_bulk_end(char next, bool& protocol_error);
  bool on_line(std::string_view line);  // false: protocol error
  void element_done();

  State state_ = State::kLine;
  std::string line_;  // a line split across reads
  std::int64_t array_left_ = -1;
  std::string bulk_;
  std::size_t bulk_filled_ = 0;
  Reply reply_;
  bool complete_ = false;
};

// "*N\r\n$len\r\narg\r\n..." for one command.
std::string encode_command(std::span<const std::string_view> args);

}  // namespace storefront::redis
