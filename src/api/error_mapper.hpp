#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"

namespace storefront::api {

struct HttpError {
  unsigned status;
  std::string detail;                // safe for clients
  std::optional<int> retry_after_s;  // Retry-After header, for 503
};

// The one place that turns an ErrorKind into an HTTP status and client text.
// The Error's own message stays in the logs.
HttpError to_http_error(const Error& error, int retry_after_s);

}  // namespace storefront::api
