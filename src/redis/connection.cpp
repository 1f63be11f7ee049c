#include "redis/impl/connection.hpp"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "obs/metrics.hpp"

namespace storefront::redis {
namespace {

using std::chrono::milliseconds;

// After a failed connect a node is not retried for this long: calls fail fast
// instead of each paying the connect timeout against an unreachable host.
constexpr milliseconds kDownWindow{100};

// Redis round trips are far below the default latency buckets; these start at 100 us.
constexpr std::array<double, 13> kRedisBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                               0.025,  0.05,    0.1,    0.25,  0.5,    1};

// Reads go through a buffer this large, except a large bulk string, which is
// read straight into its final string.
constexpr std::size_t kReadBuffer = std::size_t{16} << 10;
constexpr std::size_t kDirectRead = 4096;

// Keepalive probes after this long idle (then every third of it, three
// times), as hiredis' redisEnableKeepAlive did:
// a pooled connection to a vanished host is found dead by the kernel.
constexpr int kKeepAliveSeconds = 15;

// strerror's text without its shared buffer (clients call from many threads).
std::string errno_text(int err) {
  return std::system_category().message(err);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string format_address(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

// poll() on one descriptor until `until`: > 0 ready, 0 timed out, < 0 failed
// (errno set). Retries on EINTR with the time then left.
int poll_until(int fd, short events, Clock::time_point until) {
  while (true) {
    const auto left = std::chrono::ceil<milliseconds>(until - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n != 0) return n;
  }
}

struct AddrInfoDeleter {
  void operator()(addrinfo* info) const { ::freeaddrinfo(info); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// IPv4 addresses first and IPv6 only when there are none, as hiredis did: a
// host with both must not pay for an IPv6 route that does not work.
Result<AddrInfoPtr> resolve(const std::string& host, int port) {
  const auto service = std::to_string(port);
  int rc = EAI_NONAME;
  for (int family : {AF_INET, AF_INET6}) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
    if (rc == 0) return AddrInfoPtr(found);
  }
  return Error{ErrorKind::kUnavailable,
               fmt::format("connect {}: {}", format_address(host, port), ::gai_strerror(rc))};
}

void set_socket_options(int fd) {
  const int on = 1;
  const int idle = kKeepAliveSeconds;
  const int interval = kKeepAliveSeconds / 3;
  const int count = 3;
  // Best effort, as in hiredis: a socket without them still works.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

// One non-blocking connect: the socket, or -1 with errno (ETIMEDOUT when
// `until` passed first).
int connect_one(const addrinfo& addr, Clock::time_point until) {
  const int fd =
      ::socket(addr.ai_family, addr.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, addr.ai_protocol);
  if (fd < 0) return -1;
  int err = 0;
  if (::connect(fd, addr.ai_addr, addr.ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      const int ready = poll_until(fd, POLLOUT, until);
      socklen_t len = sizeof(err);
      if (ready == 0) {
        err = ETIMEDOUT;
      } else if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
    }
  }
  if (err != 0) {
    ::close(fd);
    errno = err;
    return -1;
  }
  set_socket_options(fd);
  return fd;
}

// Tries each address in turn until one connects or `until` passes.
Result<int> connect_to(const std::string& host, int port, Clock::time_point until) {
  auto addresses = resolve(host, port);
  if (!addresses) return addresses.error();
  int err = ECONNREFUSED;
  for (const addrinfo* a = addresses.value().get(); a != nullptr; a = a->ai_next) {
    const int fd = connect_one(*a, until);
    if (fd >= 0) return fd;
    err = errno;
    if (err == ETIMEDOUT && Clock::now() >= until) break;
  }
  const auto kind = err == ETIMEDOUT ? ErrorKind::kTimeout : ErrorKind::kUnavailable;
  return Error{kind, fmt::format("connect {}: {}", format_address(host, port),
                                 err == ETIMEDOUT ? "timed out" : errno_text(err))};
}

}  // namespace

milliseconds remaining(Deadline deadline) {
  return milliseconds(deadline.remaining_ms(1));
}

RedisMetrics::RedisMetrics(obs::Registry& registry)
    : duration(registry.histogram("storefront_redis_command_duration_seconds",
                                  "Duration of one Redis round trip (one command or pipeline)",
                                  {"command"}, kRedisBuckets)),
      redirects(registry.counter("storefront_redis_cluster_redirects_total",
                                 "Redis Cluster redirects followed, by type", {"type"})),
      moved(redirects.with({"moved"})),
      ask(redirects.with({"ask"})),
      refreshes(registry
                    .counter("storefront_redis_topology_refreshes_total",
                             "Redis Cluster slot map refresh attempts (CLUSTER SLOTS)")
                    .with({})),
      get_duration(duration.with({"get"})),
      mget_duration(duration.with({"mget"})),
      set_duration(duration.with({"set"})),
      other_duration(duration.with({"other"})) {}

obs::Histogram& RedisMetrics::for_command(std::string_view command) {
  if (command == "get") return get_duration;
  if (command == "mget") return mget_duration;
  if (command == "set") return set_duration;
  return duration.with({command});
}

Error error_from_reply(std::string_view message) {
  // Transient cluster / server states: the dependency is (temporarily) not usable.
  for (std::string_view prefix :
       {"MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "LOADING", "BUSY", "MASTERDOWN", "READONLY",
        "NOAUTH", "WRONGPASS", "NOPERM", "OOM"}) {
    if (starts_with(message, prefix)) {
      return Error{ErrorKind::kUnavailable, fmt::format("redis: {}", message)};
    }
  }
  if (starts_with(message, "CROSSSLOT")) {
    return Error{ErrorKind::kInvalid, fmt::format("redis: {}", message)};
  }
  return Error{ErrorKind::kInternal, fmt::format("redis: {}", message)};
}

bool is_refused_credentials(std::string_view message) {
  return starts_with(message, "NOAUTH") || starts_with(message, "WRONGPASS") ||
         starts_with(message, "NOPERM");
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& host, int port,
                                                     const ConnectOptions& options,
                                                     Deadline deadline) {
  if (deadline.expired()) {
    return Error{ErrorKind::kTimeout,
                 fmt::format("connect {}: deadline expired", format_address(host, port))};
  }
  const auto until = std::min(deadline.at(), Clock::now() + options.connect_timeout);
  auto fd = connect_to(host, port, until);
  if (!fd) return fd.error();
  std::unique_ptr<Connection> conn(new Connection(fd.value(), format_address(host, port)));
  if (!options.password.empty()) {
    Status st = ok_status();
    if (options.username.empty()) {
      std::array<std::string_view, 2> args{"AUTH", options.password};
      st = conn->handshake(args, "AUTH", deadline);
    } else {
      std::array<std::string_view, 3> args{"AUTH", options.username, options.password};
      st = conn->handshake(args, "AUTH", deadline);
    }
    if (!st) return st.error();
  }
  if (options.db != 0) {
    auto db = std::to_string(options.db);
    std::array<std::string_view, 2> args{"SELECT", db};
    if (auto st = conn->handshake(args, "SELECT", deadline); !st) return st.error();
  }
  return conn;
}

Status Connection::handshake(Args command, std::string_view what, Deadline deadline) {
  auto reply = run(command, deadline);
  if (!reply) return reply.error();
  if (reply.value().is_error()) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("{} on {} failed: {}", what, address_, reply.value().str)};
  }
  return ok_status();
}

Connection::~Connection() {
  ::close(fd_);
}

Error Connection::fail(ErrorKind kind, std::string_view what) {
  broken_ = true;
  if (kind == ErrorKind::kTimeout) {
    return Error{kind, fmt::format("redis {}: timed out ({})", address_, what)};
  }
  return Error{kind, fmt::format("redis {}: {}", address_, what)};
}

Status Connection::wait(short events, Deadline deadline) {
  const int ready = poll_until(fd_, events, deadline.at());
  if (ready > 0) return ok_status();
  if (ready == 0) return fail(ErrorKind::kTimeout, events == POLLIN ? "read" : "write");
  return fail(ErrorKind::kUnavailable, errno_text(errno));
}

Status Connection::write_all(std::string_view data, Deadline deadline) {
  while (!data.empty()) {
    // MSG_NOSIGNAL: a connection reset by Redis fails with EPIPE here instead
    // of raising SIGPIPE in the process.
    const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto st = wait(POLLOUT, deadline); !st) return st;
    } else if (errno != EINTR) {
      return fail(ErrorKind::kUnavailable, errno_text(errno));
    }
  }
  return ok_status();
}

Result<Reply> Connection::read_reply(Deadline deadline) {
  if (in_.empty()) in_.resize(kReadBuffer);
  while (true) {
    while (in_begin_ < in_end_) {
      bool protocol_error = false;
      const std::string_view data(in_.data() + in_begin_, in_end_ - in_begin_);
      in_begin_ += parser_.feed(data, protocol_error);
      if (protocol_error) return fail(ErrorKind::kUnavailable, "malformed reply");
      if (parser_.complete()) return parser_.take();
    }
    // A large bulk string goes straight into place; anything else (and the
    // tail of a bulk string) through the buffer.
    auto target = parser_.bulk_target();
    const bool direct = target.size() >= kDirectRead;
    char* into = direct ? target.data() : in_.data();
    const std::size_t room = direct ? target.size() : in_.size();
    const auto n = ::recv(fd_, into, room, 0);
    if (n > 0) {
      if (direct) {
        parser_.commit_bulk(static_cast<std::size_t>(n));
      } else {
        in_begin_ = 0;
        in_end_ = static_cast<std::size_t>(n);
      }
    } else if (n == 0) {
      return fail(ErrorKind::kUnavailable, "connection closed by server");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto st = wait(POLLIN, deadline); !st) return st.error();
    } else if (errno != EINTR) {
      return fail(ErrorKind::kUnavailable, errno_text(errno));
    }
  }
}

Result<std::vector<Reply>> Connection::run(std::initializer_list<Args> commands,
                                           Deadline deadline) {
  if (broken_) return Error{ErrorKind::kUnavailable, "redis: connection is broken"};
  if (deadline.expired()) return Error{ErrorKind::kTimeout, "redis: deadline expired"};
  std::string out;
  for (Args command : commands) out += encode_command(command);
  if (auto st = write_all(out, deadline); !st) return st.error();
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    auto reply = read_reply(deadline);
    if (!reply) return reply.error();
    replies.push_back(std::move(reply.value()));
  }
  return replies;
}

Result<Reply> Connection::run(Args command, Deadline deadline) {
  auto replies = run({command}, deadline);
  if (!replies) return replies.error();
  return std::move(replies.value().front());
}

NodePool::Lease::~Lease() {
  if (conn_ && pool_ != nullptr) pool_->release(std::move(conn_));
}

NodePool::NodePool(std::string host, int port, ConnectOptions options, std::size_t max_size)
    : host_(std::move(host)),
      port_(port),
      address_(format_address(host_, port)),
      options_(std::move(options)),
      max_size_(std::max<std::size_t>(1, max_size)) {}

Result<NodePool::Lease> NodePool::acquire(Deadline deadline) {
  std::unique_lock lock(mutex_);
  while (true) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn), true);
    }
    if (Clock::now() < down_until_) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("redis {}: not retried for {} ms after a failed connect", address_,
                               kDownWindow.count())};
    }
    if (open_ < max_size_) break;
    if (cv_.wait_until(lock, deadline.at()) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_size_) {
      return Error{ErrorKind::kTimeout,
                   fmt::format("redis {}: all {} pooled connections busy until the deadline",
                               address_, max_size_)};
    }
  }
  if (deadline.expired()) return Error{ErrorKind::kTimeout, "redis: deadline expired"};
  ++open_;
  lock.unlock();
  // A connect that times out on a budget shorter than connect_timeout says
  // nothing about the node; a refusal or a full connect timeout does.
  bool full_budget = remaining(deadline) >= options_.connect_timeout;
  auto conn = Connection::open(host_, port_, options_, deadline);
  if (!conn) {
    lock.lock();
    --open_;
    if (conn.error().kind == ErrorKind::kUnavailable || full_budget) {
      down_until_ = Clock::now() + kDownWindow;
    }
    lock.unlock();
    cv_.notify_one();
    return conn.error();
  }
  return Lease(this, std::move(conn.value()), false);
}

void NodePool::drop_idle() {
  std::vector<std::unique_ptr<Connection>> doomed;
  {
    std::lock_guard lock(mutex_);
    doomed.swap(idle_);
    open_ -= doomed.size();
  }
  cv_.notify_all();
}

void NodePool::release(std::unique_ptr<Connection> conn) {
  if (conn->broken()) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    conn.reset();
    drop_idle();  // they most likely share the failure (server restarted, stopped, gone)
    return;
  }
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

}  // namespace storefront::redis
