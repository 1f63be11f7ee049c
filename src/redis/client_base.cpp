#include "redis/impl/client_base.hpp"

#include <fmt/format.h>

#include <array>

#include "redis/key_slot.hpp"

namespace storefront::redis {
namespace {

Error unexpected(std::string_view command, const Reply& reply) {
  return Error{ErrorKind::kInternal,
               fmt::format("redis {}: unexpected reply type {}", command, type_name(reply.type))};
}

}  // namespace

Result<std::optional<std::string>> ClientBase::get(std::string_view key, Deadline deadline) {
  std::array<std::string_view, 2> args{"GET", key};
  auto reply = execute("get", cluster() ? key_slot(key) : -1, args, deadline);
  if (!reply) return reply.error();
  Reply& r = reply.value();
  if (r.type == Reply::Type::kNil) return std::optional<std::string>();
  if (r.type != Reply::Type::kString) return unexpected("GET", r);
  return std::optional<std::string>(std::move(r.str));
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
  const auto type = reply.value().type;
  auto values = to_values(std::move(reply.value()));
  if (!values || values->size() != keys.size()) {
    return Error{ErrorKind::kInternal,
                 fmt::format("redis MGET: unexpected reply ({} of {} keys, type {})",
                             values ? values->size() : 0, keys.size(), type_name(type))};
  }
  return std::move(*values);
}

Status ClientBase::set(std::string_view key, std::string_view value, std::chrono::seconds ttl,
                       Deadline deadline) {
  int slot = cluster() ? key_slot(key) : -1;
  Result<Reply> reply = Error{ErrorKind::kInternal, ""};
  if (ttl.count() > 0) {
    auto seconds = std::to_string(ttl.count());
    std::array<std::string_view, 5> args{"SET", key, value, "EX", seconds};
    reply = execute("set", slot, args, deadline);
  } else {
    std::array<std::string_view, 3> args{"SET", key, value};
    reply = execute("set", slot, args, deadline);
  }
  if (!reply) return reply.error();
  if (reply.value().type != Reply::Type::kStatus) return unexpected("SET", reply.value());
  return ok_status();
}

Status ClientBase::del(std::string_view key, Deadline deadline) {
  std::array<std::string_view, 2> args{"DEL", key};
  auto reply = execute("del", cluster() ? key_slot(key) : -1, args, deadline);
  if (!reply) return reply.error();
  if (reply.value().type != Reply::Type::kInteger) return unexpected("DEL", reply.value());
  return ok_status();
}

Result<std::int64_t> ClientBase::incr(std::string_view key, Deadline deadline) {
  std::array<std::string_view, 2> args{"INCR", key};
  auto reply = execute("incr", cluster() ? key_slot(key) : -1, args, deadline);
  if (!reply) return reply.error();
  if (reply.value().type != Reply::Type::kInteger) return unexpected("INCR", reply.value());
  return reply.value().integer;
}

Status ClientBase::ping(Deadline deadline) {
  std::array<std::string_view, 1> args{"PING"};
  auto reply = execute("ping", -1, args, deadline);
  if (!reply) return reply.error();
  return ok_status();
}

}  // namespace storefront::redis
