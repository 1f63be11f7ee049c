// Raw bytes from a client through the same Beast parser settings the server
// uses (header and body limits).
#include <boost/beast/http.hpp>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t offset = 0;
  while (offset < size && !ec && !parser.is_done()) {
    const auto n = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    if (ec == http::error::need_more) break;
    if (n == 0) break;
    offset += n;
  }
  if (!ec && parser.is_done()) {
    auto& req = parser.get();
    (void)req.target();
    (void)req.keep_alive();
  }
  return 0;
}
