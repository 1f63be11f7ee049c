#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <ctime>
#include <optional>

namespace storefront::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

Response error_response(bhttp::status status, std::string_view detail) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::connection, "close");
  res.body() = std::string(R"({"detail":")") + std::string(detail) + "\"}";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

// The response for a request that could not be parsed, and its status.
Response protocol_error_response(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return error_response(bhttp::status::payload_too_large, "Request body too large");
  }
  if (ec == bhttp::error::header_limit) {
    return error_response(bhttp::status::request_header_fields_too_large,
                          "Request header fields too large");
  }
  return error_response(bhttp::status::bad_request, "Malformed HTTP request");
}

std::vector<std::unique_ptr<asio::io_context>> make_contexts(std::size_t count) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // Concurrency hint 1: one thread runs each context (replies from worker
  // threads still post to it safely).
  for (std::size_t i = 0; i < count; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

}  // namespace

std::string_view http_date(std::chrono::system_clock::time_point now) {
  thread_local std::time_t cached_second = -1;
  thread_local char buf[32];
  const std::time_t second = std::chrono::system_clock::to_time_t(now);
  if (second != cached_second) {
    std::tm tm{};
    gmtime_r(&second, &tm);
    std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);  // C locale names
    cached_second = second;
  }
  return buf;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server& server)
      : stream_(std::move(socket)), server_(server), handler_timer_(stream_.get_executor()) {
    info_.executor = stream_.get_executor();
    boost::system::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) info_.remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  ~Session() {
    release_connection_slot();
    server_.untrack(this);
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_request(); });
  }

  // Called by the server on shutdown: an idle keep-alive connection is closed
  // now; a busy one closes after its response.
  void drain() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) {
        boost::system::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.socket().close(ec);
      }
    });
  }

 private:
  void wait_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options_.max_header_bytes));
    parser_->body_limit(server_.options_.max_body_bytes);
    if (buffer_.size() > 0) {
      read_request();
      return;
    }
    if (server_.draining_.load()) return close();
    // Keep-alive wait: the long idle timeout applies until the first byte.
    idle_ = true;
    stream_.expires_after(server_.options_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->idle_ = false;
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  void read_request() {
    // Once a request has started, the whole of it must arrive within the
    // read timeout: a slow client cannot pin the connection.
    stream_.expires_after(server_.options_.read_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return close();
    }
    if (ec) {
      auto res = protocol_error_response(ec);
      server_.metrics_.requests.with({"", "unmatched", std::to_string(res.result_int())}).inc();
      keep_alive_ = false;
      return write(std::move(res));
    }
    auto request = parser_->release();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    server_.in_flight_.fetch_add(1);
    server_.metrics_.in_flight.add(1);
    busy_ = true;
    const std::uint64_t seq = ++seq_;
    // A reply from a worker thread hops back onto our I/O thread; one given on
    // it (a cache hit, a validation error) is written at once.
    Reply reply = [self = shared_from_this(), seq](Response&& res) {
      asio::dispatch(self->stream_.get_executor(), [self, seq, res = std::move(res)]() mutable {
        self->on_reply(seq, std::move(res));
      });
    };
    server_.handler_.handle(std::move(request), info_, std::move(reply));
    if (busy_ && seq == seq_) start_handler_timer(seq);
  }

  void start_handler_timer(std::uint64_t seq) {
    handler_timer_.expires_after(server_.options_.handler_timeout);
    handler_timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (ec || !self->busy_ || seq != self->seq_) return;
      spdlog::warn("handler gave no reply within {} ms; answering 503",
                   self->server_.options_.handler_timeout.count());
      auto res =
          error_response(bhttp::status::service_unavailable, "Request timed out, retry later");
      res.set(bhttp::field::retry_after, "1");
      self->on_reply(seq, std::move(res));
    });
  }

  void on_reply(std::uint64_t seq, Response&& res) {
    if (!busy_ || seq != seq_) return;  // a late reply after the handler timeout
    handler_timer_.cancel();
    busy_ = false;
    server_.in_flight_.fetch_sub(1);
    server_.metrics_.in_flight.add(-1);
    res.version(version_);
    if (server_.draining_.load() || server_.lame_duck_.load()) keep_alive_ = false;
    res.keep_alive(keep_alive_ && res.keep_alive());
    keep_alive_ = res.keep_alive();
    write(std::move(res));
  }

  void write(Response&& res) {
    res.set(bhttp::field::date, http_date(std::chrono::system_clock::now()));
    response_.emplace(std::move(res));
    stream_.expires_after(server_.options_.write_timeout);
    bhttp::async_write(stream_, *response_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         self->response_.reset();
                         if (ec) return self->close();
                         if (!self->keep_alive_) return self->linger_close();
                         self->wait_request();
                       });
  }

  // Half-close, then discard what the client still sends for a moment, so it
  // reads our response instead of a reset (e.g. after a 413 mid-upload).
  void linger_close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    buffer_.consume(buffer_.size());
    // One second in all, however much the client keeps sending.
    stream_.expires_after(std::chrono::seconds(1));
    discard_until_closed();
  }

  void discard_until_closed() {
    stream_.async_read_some(buffer_.prepare(std::size_t{64} << 10),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->buffer_.consume(self->buffer_.size());
                              self->discard_until_closed();
                            });
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    release_connection_slot();
  }

  // The connection stops counting towards the cap when its socket closes, not
  // when the last reference to the session goes: a worker thread may still
  // hold the request's reply callback (and so the session) for a moment after
  // the peer has gone, and a new client must not be refused for that.
  void release_connection_slot() {
    if (!counted_) return;
    counted_ = false;
    server_.connections_.fetch_sub(1);
  }

  beast::tcp_stream stream_;
  Server& server_;
  ConnectionInfo info_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<Response> response_;
  asio::steady_timer handler_timer_;
  std::uint64_t seq_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool busy_ = false;
  bool counted_ = true;  // holds one of the server's connection slots
};

Server::Server(ServerOptions options, Handler& handler, obs::HttpMetrics& metrics)
    : options_(std::move(options)),
      handler_(handler),
      metrics_(metrics),
      contexts_(make_contexts(std::max<std::size_t>(1, options_.io_threads))),
      acceptor_(*contexts_.front()) {}

Server::~Server() {
  stop();
}

std::uint16_t Server::start() {
  tcp::endpoint endpoint(asio::ip::make_address(options_.bind_address), options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  const auto port = acceptor_.local_endpoint().port();
  do_accept();
  for (auto& context : contexts_) {
    work_.push_back(asio::make_work_guard(*context));
    threads_.emplace_back([&context] { context->run(); });
  }
  return port;
}

void Server::do_accept() {
  auto& context = *contexts_[next_context_.fetch_add(1) % contexts_.size()];
  acceptor_.async_accept(context, [this](boost::system::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Server::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (!ec) {
    if (connections_.load() >= options_.max_connections) {
      // Over the cap: a short 503 without reading the request, then close.
      metrics_.rejected_connections.inc();
      std::string busy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 1\r\nConnection: close\r\nContent-Length: 40\r\nDate: ";
      busy.append(http_date(std::chrono::system_clock::now()));
      busy.append(
          "\r\n\r\n"
          R"({"detail":"Too many connections, retry"})");
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(busy.data(), busy.size()), ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      connections_.fetch_add(1);
      auto session = std::make_shared<Session>(std::move(socket), *this);
      track(session);
      session->start();
    }
  } else {
    spdlog::warn("accept failed: {}", ec.message());
  }
  do_accept();
}

void Server::track(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.emplace(session.get(), session);
}

void Server::untrack(Session* session) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(session);
}

void Server::stop_accepting() {
  if (draining_.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mutex_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->drain();
}

void Server::stop() {
  work_.clear();
  for (auto& context : contexts_) context->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace storefront::http
