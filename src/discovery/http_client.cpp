#include "discovery/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace storefront::discovery {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

Result<HttpUrl> parse_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return Error{ErrorKind::kInvalid, "expected http://host:port"};
  }
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.base_path = std::string(url.substr(slash));
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = std::string(authority);
    out.port = "8500";
  } else {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty()) {
    return Error{ErrorKind::kInvalid, "expected http://host:port"};
  }
  return out;
}

Result<HttpResult> http_request(const HttpUrl& url, std::string_view method,
                                std::string_view target, std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method),
                                         url.base_path + std::string(target), 11};
  req.set(bhttp::field::host, url.host + ":" + url.port);
  req.set(bhttp::field::user_agent, "storefront");
  req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.prepare_payload();
  bhttp::response<bhttp::string_body> res;
  beast::error_code result = asio::error::timed_out;

  // One chain of async steps so a single timer bounds the whole exchange.
  stream.expires_after(timeout);
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, auto endpoints) {
    if (ec) {
      result = ec;
      return;
    }
    stream.async_connect(endpoints, [&](beast::error_code ec2, const auto&) {
      if (ec2) {
        result = ec2;
        return;
      }
      bhttp::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
        if (ec3) {
          result = ec3;
          return;
        }
        bhttp::async_read(stream, buffer, res,
                          [&](beast::error_code ec4, std::size_t) { result = ec4; });
      });
    });
  });
  ioc.run_for(timeout + std::chrono::milliseconds(100));
  if (result) {
    return Error{result == beast::error::timeout ? ErrorKind::kTimeout : ErrorKind::kUnavailable,
                 std::string(method) + " " + std::string(target) + ": " + result.message()};
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return HttpResult{res.result_int(), std::move(res.body())};
}

}  // namespace storefront::discovery
