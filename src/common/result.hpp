#pragma once

#include <string>
#include <utility>
#include <variant>

namespace storefront {

// The small set of failure kinds every layer maps its errors into. One place
// (api/error_mapper) turns a kind into an HTTP status.
enum class ErrorKind {
  kUnavailable,  // dependency cannot be reached (server selection, connection refused)
  kTimeout,      // dependency answered too late for the request deadline
  kInvalid,      // the dependency rejected the request as malformed
  kDuplicate,    // unique constraint
  kOverloaded,   // our own bounded queue is full
  kInternal,     // anything else: a bug or an unexpected reply
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;  // for logs; never sent to clients verbatim
};

// A minimal expected<T, Error>: std::expected is C++23 and we build as C++20.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() {
  return Unit{};
}

}  // namespace storefront
