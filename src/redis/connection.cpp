#include "redis/impl/connection.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>

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

timeval to_timeval(milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_timeout_errno(int e) {
  return e == EAGAIN || e == EWOULDBLOCK || e == ETIMEDOUT;
}

}  // namespace

void ReplyDeleter::operator()(redisReply* reply) const {
  if (reply != nullptr) freeReplyObject(reply);
}

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
    return Error{ErrorKind::kTimeout, fmt::format("connect {}:{}: deadline expired", host, port)};
  }
  auto budget = std::min(options.connect_timeout, remaining(deadline));
  errno = 0;
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, to_timeval(budget));
  int saved_errno = errno;
  if (ctx == nullptr) {
    return Error{ErrorKind::kUnavailable, fmt::format("connect {}:{}: out of memory", host, port)};
  }
  if (ctx->err != 0) {
    bool timeout = ctx->err == REDIS_ERR_IO && (is_timeout_errno(saved_errno) ||
                                                std::strstr(ctx->errstr, "timed out") != nullptr);
    Error error{timeout ? ErrorKind::kTimeout : ErrorKind::kUnavailable,
                fmt::format("connect {}:{}: {}", host, port, ctx->errstr)};
    redisFree(ctx);
    return error;
  }
  std::unique_ptr<Connection> conn(new Connection(ctx));
  redisEnableKeepAlive(ctx);

  auto handshake = [&](Args args, std::string_view what) -> Status {
    auto reply = conn->run(args, deadline);
    if (!reply) return reply.error();
    if (reply.value()->type == REDIS_REPLY_ERROR) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("{} on {}:{} failed: {}", what, host, port,
                               std::string_view(reply.value()->str, reply.value()->len))};
    }
    return ok_status();
  };
  if (!options.password.empty()) {
    Status st = ok_status();
    if (options.username.empty()) {
      std::array<std::string_view, 2> args{"AUTH", options.password};
      st = handshake(args, "AUTH");
    } else {
      std::array<std::string_view, 3> args{"AUTH", options.username, options.password};
      st = handshake(args, "AUTH");
    }
    if (!st) return st.error();
  }
  if (options.db != 0) {
    auto db = std::to_string(options.db);
    std::array<std::string_view, 2> args{"SELECT", db};
    if (auto st = handshake(args, "SELECT"); !st) return st.error();
  }
  return conn;
}

Connection::~Connection() {
  redisFree(ctx_);
}

Error Connection::io_error(Deadline deadline, int saved_errno) {
  broken_ = true;
  bool timeout = (ctx_->err == REDIS_ERR_IO && is_timeout_errno(saved_errno)) || deadline.expired();
  std::string what = ctx_->err == REDIS_ERR_EOF ? "connection closed by server" : ctx_->errstr;
  const char* host = ctx_->tcp.host != nullptr ? ctx_->tcp.host : "?";
  if (timeout) {
    return Error{ErrorKind::kTimeout,
                 fmt::format("redis {}:{}: timed out ({})", host, ctx_->tcp.port, what)};
  }
  return Error{ErrorKind::kUnavailable, fmt::format("redis {}:{}: {}", host, ctx_->tcp.port, what)};
}

Result<std::vector<ReplyPtr>> Connection::run(std::initializer_list<Args> commands,
                                              Deadline deadline) {
  if (broken_) return Error{ErrorKind::kUnavailable, "redis: connection is broken"};
  if (deadline.expired()) return Error{ErrorKind::kTimeout, "redis: deadline expired"};

  // SO_RCVTIMEO/SO_SNDTIMEO bound each read and write by the time left. The
  // socket option is only changed when the current one is too long, or much
  // shorter than what is left, to save two syscalls on most commands.
  long left = remaining(deadline).count();
  if (socket_timeout_ms_ < 0 || socket_timeout_ms_ > left ||
      socket_timeout_ms_ < left - left / 8 - 1) {
    if (redisSetTimeout(ctx_, to_timeval(milliseconds(left))) != REDIS_OK) {
      return io_error(deadline, errno);
    }
    socket_timeout_ms_ = left;
  }

  std::vector<const char*> argv;
  std::vector<std::size_t> argvlen;
  for (Args command : commands) {
    argv.clear();
    argvlen.clear();
    for (std::string_view arg : command) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), argvlen.data()) !=
        REDIS_OK) {
      return io_error(deadline, errno);
    }
  }
  std::vector<ReplyPtr> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      return io_error(deadline, errno);
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

Result<ReplyPtr> Connection::run(Args command, Deadline deadline) {
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
      address_(host_.find(':') != std::string::npos ? fmt::format("[{}]:{}", host_, port)
                                                    : fmt::format("{}:{}", host_, port)),
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
