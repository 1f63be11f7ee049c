#include "obs/process_metrics.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace storefront::obs {
namespace {

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double cpu_seconds() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the command name, which is in parentheses and may hold spaces.
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

void register_process_metrics(Registry& registry, std::string_view version) {
  registry.gauge("storefront_build_info", "Build information; always 1.", {"version"})
      .with({version})
      .set(1);
  const double start =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  registry.callback("process_start_time_seconds", "Start time of the process since unix epoch.",
                    "gauge", [start] { return start; });
  registry.callback("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
                    resident_bytes);
  registry.callback("process_open_fds", "Number of open file descriptors.", "gauge", open_fds);
  registry.callback("process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                    "counter", cpu_seconds);
}

}  // namespace storefront::obs
