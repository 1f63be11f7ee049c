#include "obs/log.hpp"

#include <fmt/chrono.h>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <string>

#include "common/json_writer.hpp"

namespace storefront::obs {
namespace {

std::shared_ptr<spdlog::logger>& access_logger() {
  static std::shared_ptr<spdlog::logger> logger;
  return logger;
}

}  // namespace

void init_logging(std::string_view level, bool access_log) {
  auto main = spdlog::stderr_logger_mt("storefront");
  main->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  main->set_level(spdlog::level::from_str(std::string(level)));
  main->flush_on(spdlog::level::info);
  spdlog::set_default_logger(main);
  if (access_log) {
    spdlog::init_thread_pool(16384, 1);
    // Overrun rather than block: an access log must never slow requests down.
    auto logger = spdlog::create_async_nb<spdlog::sinks::stdout_sink_mt>("access");
    logger->set_pattern("%v");
    logger->flush_on(spdlog::level::info);
    access_logger() = logger;
  }
}

void log_access(const AccessRecord& r) {
  auto& logger = access_logger();
  if (!logger) return;
  std::string line;
  line.reserve(256);
  JsonWriter w(line);
  w.begin_object();
  w.key("ts");
  w.string(fmt::format("{:%FT%T}Z", std::chrono::floor<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now())));
  w.key("event");
  w.string("access");
  w.key("method");
  w.string(r.method);
  w.key("path");
  w.string(r.target);
  w.key("route");
  w.string(r.route);
  w.key("status");
  w.number(static_cast<std::int64_t>(r.status));
  w.key("duration_ms");
  w.number(static_cast<double>(r.duration.count()) / 1000.0);
  w.key("request_id");
  w.string(r.request_id);
  w.key("remote");
  w.string(r.remote);
  w.end_object();
  logger->info(line);
}

}  // namespace storefront::obs
