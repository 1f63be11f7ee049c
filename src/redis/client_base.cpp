#include "redis/impl/client_base.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <array>

#include "redis/key_slot.hpp"

namespace storefront::redis {
namespace {

Error unexpected(std::string_view command, const redisReply& reply) {
  return Error{ErrorKind::kInternal,
               fmt::format("redis {}: unexpected reply type {}", command, reply.type)};
}

}  // namespace

Result<std::optional<std::string>> ClientBase::get(std::string_view key, Deadline deadline) {
  std::array<std::string_view, 2> args{"GET", key};
  auto reply = execute("get", cluster() ? key_slot(key) : -1, args, deadline);
  if (!reply) return reply.error();
  const redisReply& r = *reply.value();
  if (r.type == REDIS_REPLY_NIL) return std::optional<std::string>();
  if (r.type != REDIS_REPLY_STRING) return unexpected("GET", r);
  return std::optional<std::string>(std::string(r.str, r.len));
}

Result<Values> ClientBase::mget(std::span<const std::string_view> keys, Deadline deadline) {
  if (keys.empty()) return std::vector<std::optional<std::string>>{};
  int slot = -1;
  if (cluster()) {
    slot = key_slot(keys[0]);
    for (auto key : keys) {
      if (key_slot(key) != slot) {
        return Error{ErrorKind::kInvalid,
                     "redis MGET: keys hash to different cluster slots (use a {hash tag})"};
      }
    }
  }
  std::vector<std::string_view> args;
  args.reserve(keys.size() + 1);
  args.emplace_back("MGET");
  args.insert(args.end(), keys.begin(), keys.end());
  auto reply = execute("mget", slot, args, deadline);
  if (!reply) return reply.error();
  const redisReply& r = *reply.value();
  if (r.type != REDIS_REPLY_ARRAY || r.elements != keys.size()) return unexpected("MGET", r);
  std::vector<std::optional<std::string>> values;
  values.reserve(r.elements);
  for (std::size_t i = 0; i < r.elements; ++i) {
    const redisReply& e = *r.element[i];
    if (e.type == REDIS_REPLY_STRING) {
      values.emplace_back(std::string(e.str, e.len));
    } else if (e.type == REDIS_REPLY_NIL) {
      values.emplace_back();
    } else {
      return unexpected("MGET", e);
    }
  }
  return values;
}

Status ClientBase::set(std::string_view key, std::string_view value, std::chrono::seconds ttl,
                       Deadline deadline) {
  int slot = cluster() ? key_slot(key) : -1;
  Result<ReplyPtr> reply = Error{ErrorKind::kInternal, ""};
  if (ttl.count() > 0) {
    auto seconds = std::to_string(ttl.count());
    std::array<std::string_view, 5> args{"SET", key, value, "EX", seconds};
    reply = execute("set", slot, args, deadline);
  } else {
    std::array<std::string_view, 3> args{"SET", key, value};
    reply = execute("set", slot, args, deadline);
  }
  if (!reply) return reply.error();
  if (reply.value()->type != REDIS_REPLY_STATUS) return unexpected("SET", *reply.value());
  return ok_status();
}

Status ClientBase::del(std::string_view key, Deadline deadline) {
  std::array<std::string_view, 2> args{"DEL", key};
  auto reply = execute("del", cluster() ? key_slot(key) : -1, args, deadline);
  if (!reply) return reply.error();
  if (reply.value()->type != REDIS_REPLY_INTEGER) return unexpected("DEL", *reply.value());
  return ok_status();
}

Result<std::int64_t> ClientBase::incr(std::string_view key, Deadline deadline) {
  std::array<std::string_view, 2> args{"INCR", key};
  auto reply = execute("incr", cluster() ? key_slot(key) : -1, args, deadline);
  if (!reply) return reply.error();
  if (reply.value()->type != REDIS_REPLY_INTEGER) return unexpected("INCR", *reply.value());
  return static_cast<std::int64_t>(reply.value()->integer);
}

Status ClientBase::ping(Deadline deadline) {
  std::array<std::string_view, 1> args{"PING"};
  auto reply = execute("ping", -1, args, deadline);
  if (!reply) return reply.error();
  return ok_status();
}

}  // namespace storefront::redis
