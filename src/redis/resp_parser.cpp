#include "redis/impl/resp_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <iterator>

#include "common/enum_names.hpp"

namespace storefront::redis {

namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string_view type_name(Reply::Type type) {
  static constexpr auto kNames = enum_names<Reply::Type, Reply::Type::kArray>(
      std::array{"nil", "status", "error", "integer", "string", "array"});
  return kNames.name(type, "?");
}

std::optional<Values> to_values(Reply&& reply) {
  if (reply.type != Reply::Type::kArray) return std::nullopt;
  Values values;
  values.reserve(reply.elements.size());
  for (Reply& element : reply.elements) {
    if (element.type == Reply::Type::kString) {
      values.emplace_back(std::move(element.str));
    } else if (element.type == Reply::Type::kNil) {
      values.emplace_back(std::nullopt);
    } else {
      return std::nullopt;
    }
  }
  return values;
}

std::size_t ReplyParser::feed(std::string_view data, bool& protocol_error) {
  protocol_error = false;
  std::size_t used = 0;
  while (!complete_ && used < data.size() && !protocol_error) {
    const std::string_view rest = data.substr(used);
    switch (state_) {
      case State::kLine:
        used += feed_line(rest, protocol_error);
        break;
      case State::kBulk: {
        const auto n = std::min(rest.size(), bulk_.size() - bulk_filled_);
        std::memcpy(bulk_.data() + bulk_filled_, rest.data(), n);
        used += n;
        commit_bulk(n);
        break;
      }
      case State::kBulkEnd:
        used += feed_bulk_end(rest.front(), protocol_error);
        break;
    }
  }
  return used;
}

std::size_t ReplyParser::feed_line(std::string_view rest, bool& protocol_error) {
  const auto eol = rest.find('\n');
  // The same limit however the line was split across reads.
  if (line_.size() + std::min(eol, rest.size()) > kMaxLine) {
    protocol_error = true;
    return 0;
  }
  if (eol == std::string_view::npos) {
    line_.append(rest);
    return rest.size();
  }
  line_.append(rest.substr(0, eol));
  if (line_.empty() || line_.back() != '\r') {
    protocol_error = true;
    return eol + 1;
  }
  line_.pop_back();
  protocol_error = !on_line(line_);
  line_.clear();
  return eol + 1;
}

std::size_t ReplyParser::feed_bulk_end(char next, bool& protocol_error) {
  // The "\r\n" after the bytes, possibly split across reads.
  const char expected = bulk_filled_ == bulk_.size() ? '\r' : '\n';
  if (next != expected) {
    protocol_error = true;
    return 0;
  }
  if (expected == '\r') {
    ++bulk_filled_;  // past the end: marks the '\r' as seen
    return 1;
  }
  bulk_filled_ = 0;
  Reply& element = next_slot();
  element.type = Reply::Type::kString;
  element.str = std::move(bulk_);
  bulk_ = std::string();
  state_ = State::kLine;
  element_done();
  return 1;
}

bool ReplyParser::on_line(std::string_view line) {
  if (line.empty()) return false;
  const char type = line.front();
  const std::string_view payload = line.substr(1);
  switch (type) {
    case '+':
    case '-': {
      Reply& element = next_slot();
      element.type = type == '+' ? Reply::Type::kStatus : Reply::Type::kError;
      element.str = std::string(payload);
      break;
    }
    case ':': {
      const auto value = parse_int(payload);
      if (!value) return false;
      Reply& element = next_slot();
      element.type = Reply::Type::kInteger;
      element.integer = *value;
      break;
    }
    case '$':
    case '*': {
      const auto count = parse_int(payload);
      if (!count || *count < -1 || *count > (type == '$' ? kMaxBulk : kMaxArray)) return false;
      if (*count == -1) {
        next_slot();  // a nil bulk string or nil array: stays kNil
        break;
      }
      if (type == '*') return start_array(*count);
      start_bulk(static_cast<std::size_t>(*count));
      return true;
    }
    default:
      return false;
  }
  element_done();
  return true;
}

void ReplyParser::start_bulk(std::size_t len) {
  bulk_.resize(len);
  bulk_filled_ = 0;
  state_ = len == 0 ? State::kBulkEnd : State::kBulk;
}

bool ReplyParser::start_array(std::int64_t count) {
  if (count == 0) {
    next_slot().type = Reply::Type::kArray;
    element_done();
    return true;
  }
  if (open_.size() >= kMaxDepth) return false;
  Frame& frame = open_.emplace_back();
  frame.array.type = Reply::Type::kArray;
  frame.left = count;
  // Reserved up to a bound: the count comes from the wire, the memory only
  // once the elements do.
  frame.array.elements.reserve(static_cast<std::size_t>(std::min<std::int64_t>(count, 1024)));
  return true;
}

Reply& ReplyParser::next_slot() {
  return open_.empty() ? reply_ : open_.back().array.elements.emplace_back();
}

void ReplyParser::element_done() {
  while (!open_.empty()) {
    Frame& frame = open_.back();
    if (--frame.left > 0) return;
    Reply array = std::move(frame.array);  // complete: an element of its parent
    open_.pop_back();
    next_slot() = std::move(array);
  }
  complete_ = true;
}

Reply ReplyParser::take() {
  Reply reply = std::move(reply_);
  reply_ = Reply{};
  complete_ = false;
  return reply;
}

std::span<char> ReplyParser::bulk_target() {
  if (state_ != State::kBulk) return {};
  return {bulk_.data() + bulk_filled_, bulk_.size() - bulk_filled_};
}

void ReplyParser::commit_bulk(std::size_t n) {
  bulk_filled_ += n;
  if (bulk_filled_ == bulk_.size()) state_ = State::kBulkEnd;
}

std::string encode_command(std::span<const std::string_view> args) {
  std::string out = fmt::format("*{}\r\n", args.size());
  for (auto arg : args) {
    fmt::format_to(std::back_inserter(out), "${}\r\n", arg.size());
    out.append(arg).append("\r\n");
  }
  return out;
}

}  // namespace storefront::redis
