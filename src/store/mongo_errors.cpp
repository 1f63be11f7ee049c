#include "store/mongo_errors.hpp"

#include <fmt/format.h>
#include <mongoc/mongoc.h>

#include <array>
#include <cstring>

namespace storefront::store {
namespace {

// Server error codes that mean "this node cannot serve you right now":
// elections, shutdowns, network errors between mongos and shards.
constexpr std::array<std::uint32_t, 16> kUnavailableCodes{
    6,      // HostUnreachable
    7,      // HostNotFound
    89,     // NetworkTimeout
    91,     // ShutdownInProgress
    133,    // FailedToSatisfyReadPreference
    189,    // PrimarySteppedDown
    9001,   // SocketException
    10107,  // NotWritablePrimary
    11600,  // InterruptedAtShutdown
    11602,  // InterruptedDueToReplStateChange
    13435,  // NotPrimaryNoSecondaryOk
    13436,  // NotPrimaryOrSecondary
    10058,  // LegacyNotPrimary
    63,     // StaleShardVersion
    150,    // StaleEpoch
    13388,  // StaleConfig
};

constexpr std::uint32_t kMaxTimeMSExpired = 50;
constexpr std::uint32_t kExceededTimeLimit = 262;
constexpr std::uint32_t kDuplicateKey = 11000;
constexpr std::uint32_t kInvalidNamespace = 73;
constexpr std::uint32_t kBadValue = 2;
constexpr std::uint32_t kFailedToParse = 9;

bool is_unavailable_code(std::uint32_t code) {
  for (auto c : kUnavailableCodes) {
    if (c == code) return true;
  }
  return false;
}

}  // namespace

ErrorKind classify_mongo_error(const bson_error_t& error) {
  switch (error.domain) {
    case MONGOC_ERROR_SERVER_SELECTION:
      return ErrorKind::kUnavailable;
    case MONGOC_ERROR_STREAM:
      // The driver reports socket timeouts in the stream domain too.
      if (std::strstr(error.message, "timed out") || std::strstr(error.message, "timeout")) {
        return ErrorKind::kTimeout;
      }
      return ErrorKind::kUnavailable;
    case MONGOC_ERROR_SERVER:
    case MONGOC_ERROR_WRITE_CONCERN:
    case MONGOC_ERROR_QUERY:
    case MONGOC_ERROR_COMMAND:
      if (error.code == kMaxTimeMSExpired || error.code == kExceededTimeLimit) {
        return ErrorKind::kTimeout;
      }
      if (error.code == kDuplicateKey) return ErrorKind::kDuplicate;
      if (error.code == kInvalidNamespace || error.code == kBadValue ||
          error.code == kFailedToParse) {
        return ErrorKind::kInvalid;
      }
      if (is_unavailable_code(error.code)) return ErrorKind::kUnavailable;
      return ErrorKind::kInternal;
    default:
      return ErrorKind::kInternal;
  }
}

Error mongo_error(const bson_error_t& error, std::string_view operation) {
  return Error{classify_mongo_error(error),
               fmt::format("mongodb {} failed (domain {}, code {}): {}", operation, error.domain,
                           error.code, error.message)};
}

}  // namespace storefront::store
