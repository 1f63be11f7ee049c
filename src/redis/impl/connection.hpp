#pragma once

// Internal to sf_redis: one blocking connection (our own socket and
// ReplyParser), a bounded pool of them per node, and the metrics both clients
// record.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.hpp"
#include "common/result.hpp"
#include "redis/impl/resp_parser.hpp"

namespace storefront::obs {
class Counter;
class Histogram;
class Registry;
template <class Metric>
class Family;
}  // namespace storefront::obs

namespace storefront::redis {

// One command: its arguments (binary safe).
using Args = std::span<const std::string_view>;

struct RedisMetrics {
  explicit RedisMetrics(obs::Registry& registry);
  obs::Family<obs::Histogram>& duration;  // storefront_redis_command_duration_seconds{command}
  obs::Family<obs::Counter>& redirects;   // storefront_redis_cluster_redirects_total{type}
  obs::Counter& moved;                    // storefront_redis_cluster_redirects_total{type="moved"}
  obs::Counter& ask;                      // ... {type="ask"}
  obs::Counter& refreshes;                // storefront_redis_topology_refreshes_total
  obs::Histogram& get_duration;
  obs::Histogram& mget_duration;
  obs::Histogram& set_duration;
  obs::Histogram& other_duration;
  // The series for a command name (lower case), cached for the common ones.
  obs::Histogram& for_command(std::string_view command);
};

struct ConnectOptions {
  std::string username;
  std::string password;
  int db = 0;
  std::chrono::milliseconds connect_timeout{50};
  std::chrono::milliseconds command_timeout{50};
};

// Maps a Redis error reply ("MOVED ...", "LOADING ...", "WRONGTYPE ...") to an Error.
Error error_from_reply(std::string_view message);

// True for the replies of a server that refuses our credentials (NOAUTH,
// WRONGPASS, NOPERM): unlike a redirect or LOADING, no retry will fix them.
bool is_refused_credentials(std::string_view message);

class Connection {
 public:
  // Resolves `host` (IPv4 first, then IPv6, as hiredis did), connects
  // (bounded by min(connect_timeout, deadline)), then AUTH and SELECT as
  // configured.
  static Result<std::unique_ptr<Connection>> open(const std::string& host, int port,
                                                  const ConnectOptions& options, Deadline deadline);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Pipelines the commands and reads one reply per command. Error replies are
  // returned as replies (Reply::Type::kError), not as errors; an Error means
  // the connection failed (kTimeout / kUnavailable) and is now broken. Every
  // write and read is bounded by the deadline.
  Result<std::vector<Reply>> run(std::initializer_list<Args> commands, Deadline deadline);
  Result<Reply> run(Args command, Deadline deadline);

  bool broken() const { return broken_; }

 private:
  Connection(int fd, std::string address) : fd_(fd), address_(std::move(address)) {}
  Status handshake(Args command, std::string_view what, Deadline deadline);
  Status write_all(std::string_view data, Deadline deadline);
  Result<Reply> read_reply(Deadline deadline);
  // Waits for `events` on the socket until the deadline; an Error on timeout.
  Status wait(short events, Deadline deadline);
  // Marks the connection broken and returns the error for the caller.
  Error fail(ErrorKind kind, std::string_view what);

  int fd_;
  const std::string address_;  // host:port, for messages
  ReplyParser parser_;
  std::vector<char> in_;      // bytes read and not parsed yet
  std::size_t in_begin_ = 0;  // ... are in_[in_begin_, in_end_)
  std::size_t in_end_ = 0;
  bool broken_ = false;
};

// A bounded pool of connections to one node. acquire() reuses an idle
// connection or opens a new one; when `max_size` are in use it waits for one
// until the deadline. A connection that failed is discarded, not returned, and
// the idle ones are dropped with it (they most likely share its fate).
class NodePool {
 public:
  class Lease {
   public:
    Lease(NodePool* pool, std::unique_ptr<Connection> conn, bool reused)
        : pool_(pool), conn_(std::move(conn)), reused_(reused) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    Connection* operator->() { return conn_.get(); }
    // True when the connection came from the idle list (it may have been
    // closed by the server since; a fresh one is worth one retry).
    bool reused() const { return reused_; }

   private:
    NodePool* pool_;
    std::unique_ptr<Connection> conn_;
    bool reused_;
  };

  NodePool(std::string host, int port, ConnectOptions options, std::size_t max_size);
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  Result<Lease> acquire(Deadline deadline);
  // Closes idle connections (after a failure on this node).
  void drop_idle();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& address() const { return address_; }

 private:
  void release(std::unique_ptr<Connection> conn);

  const std::string host_;
  const int port_;
  const std::string address_;
  const ConnectOptions options_;
  const std::size_t max_size_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + leased + being opened
  Clock::time_point down_until_{};
};

// Milliseconds left before the deadline, at least 1.
std::chrono::milliseconds remaining(Deadline deadline);

}  // namespace storefront::redis
