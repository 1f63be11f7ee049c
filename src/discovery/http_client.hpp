#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace storefront::discovery {

struct HttpUrl {
  std::string host;
  std::string port;
  std::string base_path;  // without trailing '/'
};

// Parses "http://host:port[/prefix]"; https is not supported (a local agent).
Result<HttpUrl> parse_http_url(std::string_view url);

struct HttpResult {
  unsigned status = 0;
  std::string body;
};

// One blocking HTTP/1.1 request with a total timeout. For the Consul agent
// API only: small bodies, no redirects, no TLS.
Result<HttpResult> http_request(const HttpUrl& url, std::string_view method,
                                std::string_view target, std::string_view body,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::chrono::milliseconds timeout);

}  // namespace storefront::discovery
