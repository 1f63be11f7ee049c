#include "redis/config.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "common/enum_names.hpp"

namespace storefront::redis {
namespace {

Error invalid(std::string message) {
  return Error{ErrorKind::kInvalid, std::move(message)};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<long> parse_long(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding for the userinfo part; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// "host[:port]" or "[v6]:port". `require_port` for cluster node lists.
Result<RedisNode> parse_host_port(std::string_view s, bool require_port) {
  s = trim(s);
  if (s.empty()) return invalid("empty host");
  RedisNode node;
  std::string_view port_text;
  bool has_port = false;
  if (s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return invalid(fmt::format("unclosed '[' in '{}'", s));
    node.host = std::string(s.substr(1, close - 1));
    auto rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid(fmt::format("unexpected text after ']' in '{}'", s));
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    auto colon = s.rfind(':');
    if (colon != std::string_view::npos) {
      if (s.find(':') != colon) {
        return invalid(fmt::format("'{}': put an IPv6 address in brackets, e.g. [::1]:6379", s));
      }
      node.host = std::string(s.substr(0, colon));
      port_text = s.substr(colon + 1);
      has_port = true;
    } else {
      node.host = std::string(s);
    }
  }
  if (node.host.empty()) return invalid(fmt::format("missing host in '{}'", s));
  for (char c : node.host) {
    if (c == ' ' || c == '/' || c == '@' || c == '?' || c == '#') {
      return invalid(fmt::format("invalid character '{}' in host '{}'", c, node.host));
    }
  }
  if (has_port) {
    auto port = parse_long(port_text);
    if (!port || *port < 1 || *port > 65535) {
      return invalid(fmt::format("port must be a number in 1..65535, got '{}'", port_text));
    }
    node.port = static_cast<int>(*port);
  } else if (require_port) {
    return invalid(fmt::format("missing port in '{}' (expected host:port)", s));
  }
  return node;
}

Result<std::vector<RedisNode>> parse_node_list(std::string_view list, bool require_port) {
  std::vector<RedisNode> nodes;
  while (true) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    if (trim(item).empty()) return invalid("empty entry in the node list");
    auto node = parse_host_port(item, require_port);
    if (!node) return node.error();
    bool seen = false;
    for (const auto& n : nodes) seen = seen || n == node.value();
    if (!seen) nodes.push_back(std::move(node.value()));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return nodes;
}

}  // namespace

namespace {

constexpr auto kRedisModeNames =
    enum_names<RedisMode, RedisMode::kCluster>(std::array{"standalone", "cluster"});

}  // namespace

const char* to_string(RedisMode mode) {
  return kRedisModeNames.name(mode, "standalone");
}

std::string RedisNode::address() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::string RedisConfig::describe() const {
  std::string out = mode == RedisMode::kCluster ? "redis-cluster://" : "redis://";
  if (!password.empty()) out += username + ":***@";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (i > 0) out += ',';
    out += nodes[i].address();
  }
  if (mode == RedisMode::kStandalone) out += fmt::format("/{}", db);
  out += fmt::format(" ({}, connect_timeout={}ms, command_timeout={}ms, pool_size={})",
                     to_string(mode), connect_timeout.count(), command_timeout.count(), pool_size);
  return out;
}

namespace {

// "redis://" or "redis-cluster://": sets the mode; returns what follows.
Result<std::string_view> take_scheme(std::string_view url, RedisConfig& config) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return invalid(
        "expected redis://[:password@]host:port[/db] or redis-cluster://host:port,host:port,...");
  }
  auto scheme = url.substr(0, sep);
  if (scheme == "redis") {
    config.mode = RedisMode::kStandalone;
  } else if (scheme == "redis-cluster") {
    config.mode = RedisMode::kCluster;
  } else if (scheme == "rediss") {
    return invalid("rediss:// (TLS) is not supported: the Redis client speaks plain TCP only");
  } else {
    return invalid(
        fmt::format("unsupported scheme '{}://' (expected redis:// or redis-cluster://)", scheme));
  }
  return url.substr(sep + 3);
}

// "[user]:password@" at the front of `rest`, if any: removed and stored.
Status take_credentials(std::string_view& rest, RedisConfig& config) {
  auto at = rest.rfind('@');
  if (at == std::string_view::npos) return ok_status();
  auto userinfo = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos) {
    return invalid("credentials must be ':password@' or 'user:password@'");
  }
  auto user = percent_decode(userinfo.substr(0, colon));
  auto password = percent_decode(userinfo.substr(colon + 1));
  if (!user || !password) return invalid("malformed %-escape in the credentials");
  if (password->empty()) return invalid("empty password in the credentials");
  config.username = std::move(*user);
  config.password = std::move(*password);
  return ok_status();
}

Status parse_hosts(std::string_view hosts, RedisConfig& config) {
  if (hosts.empty()) return invalid("missing host");
  if (config.mode == RedisMode::kCluster) {
    auto nodes = parse_node_list(hosts, true);
    if (!nodes) return nodes.error();
    config.nodes = std::move(nodes.value());
    return ok_status();
  }
  if (hosts.find(',') != std::string_view::npos) {
    return invalid("redis:// takes one host; use redis-cluster://h1:p1,h2:p2 for a cluster");
  }
  auto node = parse_host_port(hosts, false);
  if (!node) return node.error();
  config.nodes.push_back(std::move(node.value()));
  return ok_status();
}

Status parse_db(std::string_view path, RedisConfig& config) {
  if (path.empty()) return ok_status();
  auto db = parse_long(path);
  if (!db || *db < 0 || *db > 1'000'000) {
    return invalid(fmt::format("database must be a non-negative number, got '{}'", path));
  }
  if (config.mode == RedisMode::kCluster && *db != 0) {
    return invalid("Redis Cluster has only database 0");
  }
  config.db = static_cast<int>(*db);
  return ok_status();
}

}  // namespace

Result<RedisConfig> parse_redis_url(std::string_view url) {
  url = trim(url);
  if (url.empty()) return invalid("empty URL");
  RedisConfig config;
  auto rest = take_scheme(url, config);
  if (!rest) return rest.error();
  if (auto status = take_credentials(rest.value(), config); !status) return status.error();
  for (char c : rest.value()) {
    if (c == '?' || c == '#') return invalid("query strings and fragments are not supported");
  }
  // A '/' after the host list starts the database number. A bracketed IPv6
  // host cannot contain '/', so the first '/' is the path.
  std::string_view hosts = rest.value();
  std::string_view path;
  if (auto slash = hosts.find('/'); slash != std::string_view::npos) {
    path = hosts.substr(slash + 1);
    hosts = hosts.substr(0, slash);
  }
  if (auto status = parse_hosts(hosts, config); !status) return status.error();
  if (auto status = parse_db(path, config); !status) return status.error();
  return config;
}

Result<RedisConfig> parse_cluster_nodes(std::string_view list) {
  if (trim(list).empty()) return invalid("empty node list (expected host:port,host:port,...)");
  auto nodes = parse_node_list(list, true);
  if (!nodes) return nodes.error();
  RedisConfig config;
  config.mode = RedisMode::kCluster;
  config.nodes = std::move(nodes.value());
  return config;
}

}  // namespace storefront::redis
