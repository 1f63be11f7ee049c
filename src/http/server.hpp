#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/response_body.hpp"
#include "obs/http_metrics.hpp"

// Transport only: accepts connections, reads HTTP/1.1 requests with limits
// and timeouts, hands them to a Handler and writes what it replies.
namespace storefront::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<ResponseBody>;

// Completes one request; may be called from any thread, exactly once.
using Reply = std::function<void(Response&&)>;

struct ConnectionInfo {
  std::string remote;  // "ip:port"
  // The connection's I/O thread: handle() runs on it, and non-blocking work
  // (a cache read) may complete on it without a worker.
  boost::asio::any_io_executor executor;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // Runs on an I/O thread and must not block: blocking work goes to a worker
  // pool, which calls `reply` when done.
  virtual void handle(Request&& request, const ConnectionInfo& info, Reply reply) = 0;
};

struct ServerOptions {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8080;
  std::size_t io_threads = 1;
  std::size_t max_connections = 10000;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds read_timeout{10000};   // a whole request, once its first byte arrived
  std::chrono::milliseconds idle_timeout{60000};   // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{10000};  // a whole response
  // Last line of defence against a handler that never replies (a driver call
  // stuck past its own timeouts): the client gets a 503 at this point and the
  // late reply is dropped.
  std::chrono::milliseconds handler_timeout{6000};
};

class Session;

// The IMF-fixdate of `now` ("Tue, 01 Dec 2026 15:03:44 GMT") for the Date
// header every response carries (RFC 9110 6.6.1). Formatted once a second
// per thread.
std::string_view http_date(std::chrono::system_clock::time_point now);

class Server {
 public:
  Server(ServerOptions options, Handler& handler, obs::HttpMetrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (throws boost::system::system_error), then starts the
  // I/O threads. Returns the bound port (useful with port 0).
  std::uint16_t start();

  // Graceful shutdown, step 1: stop accepting, close idle keep-alive
  // connections and make every further response close its connection.
  // Lame duck: keep accepting and serving, but close every connection after its
  // response, so the gateway never sends on a connection this side is about to close.
  void close_after_each_response() { lame_duck_.store(true); }
  void stop_accepting();
  // Requests read but not yet answered.
  std::size_t in_flight() const { return in_flight_.load(); }
  // Open client connections.
  std::size_t connections() const { return connections_.load(); }
  // Step 2: stops the I/O threads (cutting whatever is still open) and joins them.
  void stop();

 private:
  friend class Session;
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void track(const std::shared_ptr<Session>& session);
  void untrack(Session* session);

  ServerOptions options_;
  Handler& handler_;
  obs::HttpMetrics& metrics_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> connections_{0};
  std::atomic<bool> draining_{false};
  std::atomic<bool> lame_duck_{false};
  std::mutex sessions_mutex_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  // One io_context per I/O thread (like nginx's workers): a session lives on
  // one thread, so its handlers need no strand and the scheduler no locking
  // between I/O threads. Declared last so they are destroyed first: pending
  // handlers own sessions, whose destructors still use the members above.
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  // Keeps a context's run() going while it has no connections yet.
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::atomic<std::size_t> next_context_{0};  // round robin for accepted sockets
  boost::asio::ip::tcp::acceptor acceptor_;   // on contexts_[0]
  std::vector<std::thread> threads_;
};

}  // namespace storefront::http
