#include "redis/async_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "obs/metrics.hpp"
#include "redis/impl/client_base.hpp"
#include "redis/impl/connection.hpp"
#include "redis/impl/resp_parser.hpp"

namespace storefront::redis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One pipelined connection, used only on the thread of its io_context. Owned
// by its own pending operations (its read is always pending once connected),
// so it lives until it breaks or its io_context goes away.
class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  AsyncConnection(const asio::any_io_executor& executor, RedisNode node, const RedisConfig& config)
      : node_(std::move(node)),
        command_timeout_(config.command_timeout),
        socket_(executor),
        resolver_(executor),
        timer_(executor),
        username_(config.username),
        password_(config.password),
        db_(config.db) {}

  void start() {
    // Set-up commands go first in the pipeline, ahead of any MGET.
    const auto setup_expiry = Clock::now() + command_timeout_;
    if (!password_.empty()) {
      std::vector<std::string_view> auth{"AUTH"};
      if (!username_.empty()) auth.push_back(username_);
      auth.push_back(password_);
      queue(encode_command(auth), setup_expiry, nullptr);
    }
    if (db_ != 0) {
      const auto db = std::to_string(db_);
      const std::array<std::string_view, 2> select{"SELECT", db};
      queue(encode_command(select), setup_expiry, nullptr);
    }
    resolver_.async_resolve(
        node_.host, std::to_string(node_.port),
        [self = shared_from_this()](boost::system::error_code ec,
                                    const tcp::resolver::results_type& r) {
          if (self->broken()) return;
          if (ec) return self->fail(ErrorKind::kUnavailable, "resolve: " + ec.message());
          asio::async_connect(self->socket_, r,
                              [self](boost::system::error_code ec, const tcp::endpoint&) {
                                self->on_connected(ec);
                              });
        });
  }

  bool broken() const { return state_ == State::kBroken; }

  // The command's expiry: the deadline, capped by the command timeout, which
  // (as in the blocking client) also covers connecting.
  Clock::time_point expiry(Deadline deadline) const {
    return std::min(deadline.at(), Clock::now() + command_timeout_);
  }

  void submit(std::string_view command, Clock::time_point expiry, MgetCallback done) {
    if (broken()) return done(Error{ErrorKind::kUnavailable, "connection is broken"});
    queue(command, expiry, std::move(done));
    if (state_ == State::kReady) flush();
  }

 private:
  enum class State { kConnecting, kReady, kBroken };
  struct Pending {
    MgetCallback done;  // null for connection set-up (AUTH, SELECT)
    Clock::time_point expiry;
  };
  static constexpr std::size_t kReadChunk = std::size_t{16} << 10;
  // A bulk string at least this much short is read straight into its string.
  static constexpr std::size_t kDirectRead = std::size_t{4} << 10;

  void queue(std::string_view command, Clock::time_point expiry, MgetCallback done) {
    out_.append(command);
    pending_.push_back(Pending{std::move(done), expiry});
    if (!timer_armed_) arm_timer(expiry);
  }

  void on_connected(boost::system::error_code ec) {
    if (broken()) return;
    if (ec) return fail(ErrorKind::kUnavailable, "connect: " + ec.message());
    socket_.set_option(tcp::no_delay(true), ec);
    state_ = State::kReady;
    read();
    flush();
  }

  void flush() {
    if (writing_ || out_.empty() || broken()) return;
    writing_ = true;
    std::swap(out_, sending_);
    asio::async_write(socket_, asio::buffer(sending_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->sending_.clear();
                        if (ec)
                          return self->fail(ErrorKind::kUnavailable, "write: " + ec.message());
                        self->flush();
                      });
  }

  void read() {
    auto target = parser_.bulk_target();
    if (target.size() >= kDirectRead) {
      socket_.async_read_some(
          asio::buffer(target.data(), target.size()),
          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            if (ec) return self->on_read_error(ec);
            if (self->broken()) return;  // timed out meanwhile
            self->parser_.commit_bulk(n);
            self->read();
          });
      return;
    }
    in_.resize(kReadChunk);
    socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](
                                                   boost::system::error_code ec, std::size_t n) {
      if (ec) return self->on_read_error(ec);
      self->consume(std::string_view(self->in_.data(), n));
      if (!self->broken()) self->read();
    });
  }

  void on_read_error(boost::system::error_code ec) {
    fail(ErrorKind::kUnavailable,
         ec == asio::error::eof ? "connection closed by Redis" : "read: " + ec.message());
  }

  void consume(std::string_view data) {
    while (!data.empty() && !broken()) {
      bool protocol_error = false;
      const auto used = parser_.feed(data, protocol_error);
      if (protocol_error) return fail(ErrorKind::kInternal, "malformed reply from Redis");
      data.remove_prefix(used);
      if (parser_.complete()) deliver(parser_.take());
    }
  }

  void deliver(Reply reply) {
    if (pending_.empty()) return fail(ErrorKind::kInternal, "reply to no command");
    Pending pending = std::move(pending_.front());
    pending_.pop_front();
    if (!pending.done) {
      if (reply.is_error()) fail(ErrorKind::kUnavailable, "connection set-up: " + reply.str);
      return;
    }
    if (reply.is_error()) {
      // kInvalid: Redis is up, the blocking client follows the reply (MOVED,
      // LOADING, ...). Refused credentials are a failure, so that the breaker
      // opens instead of every request paying a round trip for the refusal.
      const auto kind =
          is_refused_credentials(reply.str) ? ErrorKind::kUnavailable : ErrorKind::kInvalid;
      return pending.done(Error{kind, std::move(reply.str)});
    }
    const auto type = reply.type;
    auto values = to_values(std::move(reply));
    if (!values) {
      return pending.done(Error{ErrorKind::kInternal,
                                fmt::format("unexpected reply to MGET: {}", type_name(type))});
    }
    pending.done(std::move(*values));
  }

  // Only the oldest command's expiry is watched: the others were sent later
  // with the same timeout, and replies come in order.
  void arm_timer(Clock::time_point at) {
    timer_armed_ = true;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      self->timer_armed_ = false;
      if (ec || self->broken() || self->pending_.empty()) return;
      const auto front = self->pending_.front().expiry;
      if (front <= Clock::now()) {
        return self->fail(ErrorKind::kTimeout,
                          fmt::format("no reply from {} in time", self->node_.address()));
      }
      self->arm_timer(front);
    });
  }

  void fail(ErrorKind kind, const std::string& message) {
    if (broken()) return;
    state_ = State::kBroken;
    boost::system::error_code ignored;
    socket_.close(ignored);
    resolver_.cancel();
    timer_.cancel();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& p : pending) {
      if (p.done) p.done(Error{kind, fmt::format("redis {}: {}", node_.address(), message)});
    }
  }

  const RedisNode node_;
  const std::chrono::milliseconds command_timeout_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  const std::string username_;
  const std::string password_;
  const int db_;
  State state_ = State::kConnecting;
  bool timer_armed_ = false;
  bool writing_ = false;
  std::string out_;      // commands not yet handed to the socket
  std::string sending_;  // the write in progress
  std::vector<char> in_;
  ReplyParser parser_;
  std::deque<Pending> pending_;
};

class AsyncReaderImpl final : public AsyncReader {
 public:
  AsyncReaderImpl(const RedisConfig& config, SlotRouter& router, obs::Registry& registry)
      : config_(config), router_(router), duration_(RedisMetrics(registry).mget_duration) {}

  bool mget(const asio::any_io_executor& executor, std::span<const std::string_view> keys, int slot,
            Deadline deadline, MgetCallback done) override;
  void routes_failed() override { router_.routes_failed(); }

 private:
  std::shared_ptr<AsyncConnection> connection(const asio::any_io_executor& executor,
                                              const RedisNode& node);

  const RedisConfig config_;
  SlotRouter& router_;
  obs::Histogram& duration_;
  std::mutex mutex_;
  // Per (I/O context, node address). Weak: a connection is owned by its
  // pending read, so it dies with its io_context or when it breaks.
  std::map<std::pair<const void*, std::string>, std::weak_ptr<AsyncConnection>> connections_;
};

std::shared_ptr<AsyncConnection> AsyncReaderImpl::connection(const asio::any_io_executor& executor,
                                                             const RedisNode& node) {
  const void* context = &asio::query(executor, asio::execution::context);
  std::lock_guard lock(mutex_);
  auto& slot = connections_[{context, node.address()}];
  auto conn = slot.lock();
  if (!conn || conn->broken()) {
    conn = std::make_shared<AsyncConnection>(executor, node, config_);
    conn->start();
    slot = conn;
  }
  return conn;
}

bool AsyncReaderImpl::mget(const asio::any_io_executor& executor,
                           std::span<const std::string_view> keys, int slot, Deadline deadline,
                           MgetCallback done) {
  if (const auto* io = executor.target<asio::io_context::executor_type>();
      io && !io->running_in_this_thread()) {
    return false;
  }
  auto node = router_.node_for_slot(slot);
  if (!node) return false;
  std::vector<std::string_view> args;
  args.reserve(keys.size() + 1);
  args.push_back("MGET");
  args.insert(args.end(), keys.begin(), keys.end());
  auto conn = connection(executor, *node);
  const auto started = Clock::now();
  conn->submit(encode_command(args), conn->expiry(deadline),
               [&duration = duration_, started, done = std::move(done)](Result<Values> values) {
                 duration.observe(std::chrono::duration<double>(Clock::now() - started).count());
                 done(std::move(values));
               });
  return true;
}

}  // namespace

std::unique_ptr<AsyncReader> make_async_reader(RedisClient& client, obs::Registry& registry) {
  auto* base = dynamic_cast<ClientBase*>(&client);
  if (base == nullptr) return nullptr;
  return make_async_reader(base->config(), *base, registry);
}

std::unique_ptr<AsyncReader> make_async_reader(const RedisConfig& config, SlotRouter& router,
                                               obs::Registry& registry) {
  return std::make_unique<AsyncReaderImpl>(config, router, registry);
}

}  // namespace storefront::redis
