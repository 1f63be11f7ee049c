#include "redis/impl/resp_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>

namespace storefront::redis {

namespace {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

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
  reply_.values.emplace_back(std::move(bulk_));
  bulk_ = std::string();
  state_ = State::kLine;
  element_done();
  return 1;
}

bool ReplyParser::on_line(std::string_view line) {
  if (line.empty()) return false;
  const char type = line.front();
  const std::string_view payload = line.substr(1);
  const bool in_array = array_left_ >= 0;
  switch (type) {
    case '+':
    case '-':
    case ':':
      if (in_array) return false;  // MGET arrays hold bulk strings only
      reply_.error = type == '-';
      reply_.message = std::string(payload);
      complete_ = true;
      return true;
    case '$': {
      const auto len = parse_int(payload);
      if (!len || *len < -1 || *len > kMaxBulk) return false;
      if (*len == -1) {
        reply_.values.emplace_back(std::nullopt);
        element_done();
        return true;
      }
      bulk_.resize(static_cast<std::size_t>(*len));
      bulk_filled_ = 0;
      state_ = *len == 0 ? State::kBulkEnd : State::kBulk;
      return true;
    }
    case '*': {
      if (in_array) return false;
      const auto count = parse_int(payload);
      if (!count || *count < -1 || *count > 1024) return false;
      if (*count <= 0) {
        complete_ = true;  // empty or nil array
        return true;
      }
      array_left_ = *count;
      reply_.values.reserve(static_cast<std::size_t>(*count));
      return true;
    }
    default:
      return false;
  }
}

void ReplyParser::element_done() {
  if (array_left_ > 0) {
    if (--array_left_ > 0) return;
    array_left_ = -1;
  }
  complete_ = true;
}

ReplyParser::Reply ReplyParser::take() {
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
