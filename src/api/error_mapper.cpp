#include "api/error_mapper.hpp"

namespace storefront::api {

HttpError to_http_error(const Error& error, int retry_after_s) {
  switch (error.kind) {
    case ErrorKind::kUnavailable:
      return {503, "Database unavailable, retry later", retry_after_s};
    case ErrorKind::kTimeout:
      return {503, "Database did not answer in time, retry later", retry_after_s};
    case ErrorKind::kOverloaded:
      return {503, "Server overloaded, retry later", retry_after_s};
    case ErrorKind::kInvalid:
      return {400, "Request rejected by the database", std::nullopt};
    case ErrorKind::kDuplicate:
      return {409, "Document already exists", std::nullopt};
    case ErrorKind::kInternal:
      return {500, "Internal server error", std::nullopt};
  }
  return {500, "Internal server error", std::nullopt};
}

}  // namespace storefront::api
