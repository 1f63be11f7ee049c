#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <string_view>

namespace storefront::obs {

// Sets up the default (human-readable, stderr) logger and the JSON access logger.
void init_logging(std::string_view level, bool access_log);

struct AccessRecord {
  std::string_view method;
  std::string_view target;
  std::string_view route;
  unsigned status;
  std::chrono::microseconds duration;
  std::string_view request_id;
  std::string_view remote;
};

// One JSON line per request on stdout, written by a background thread.
void log_access(const AccessRecord& record);

}  // namespace storefront::obs
