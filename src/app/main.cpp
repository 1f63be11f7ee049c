#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "api/validation.hpp"
#include "app/application.hpp"
#include "app/config.hpp"
#include "app/fill.hpp"
#include "app/orders_app.hpp"
#include "app/probe.hpp"
#include "app/signals.hpp"

namespace {

constexpr int kUsageError = 2;

std::string binary_dir(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) exe = std::filesystem::absolute(argv0, ec);
  return exe.parent_path().string();
}

// Splits a subcommand's own flags from the configuration flags and checks its
// --collection; false (after saying why on stderr) on a usage error.
template <typename Args>
bool parse_subcommand(storefront::Result<Args> (*parse)(const std::vector<std::string>&,
                                                        std::vector<std::string>&),
                      const std::vector<std::string>& args, std::vector<std::string>& config_args,
                      Args& out) {
  config_args.clear();
  auto parsed = parse(args, config_args);
  if (!parsed) {
    std::fprintf(stderr, "storefront: %s\n", parsed.error().message.c_str());
    return false;
  }
  out = std::move(parsed.value());
  if (auto problem = storefront::api::collection_name_problem(out.collection)) {
    std::fprintf(stderr, "storefront: invalid --collection: %s\n", problem->c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace storefront;
  app::install_signal_policy();  // first: before any thread or connection exists
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && (args[0] == "serve" || args[0] == "fill" || args[0] == "audit" ||
                        args[0] == "probe-atomicity")) {
    command = args[0];
    args.erase(args.begin());
  }
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(app::usage().c_str(), stdout);
    return 0;
  }
  std::vector<std::string> config_args = args;
  app::FillArgs fill_args;
  app::ProbeArgs probe_args;
  if (command == "fill" && !parse_subcommand(app::parse_fill_args, args, config_args, fill_args)) {
    return kUsageError;
  }
  if (command == "probe-atomicity" &&
      !parse_subcommand(app::parse_probe_args, args, config_args, probe_args)) {
    return kUsageError;
  }
  // Read once at start-up, before any thread exists.
  auto config = app::load_config(
      [](const char* name) { return std::getenv(name); },  // NOLINT(concurrency-mt-unsafe)
      config_args);
  if (!config) {
    std::fprintf(stderr, "storefront: %s\n(see storefront --help)\n",
                 config.error().message.c_str());
    return kUsageError;
  }
  if (command == "fill") return app::fill(config.value(), fill_args);
  if (command == "audit") return app::audit(config.value());
  if (command == "probe-atomicity") return app::probe_atomicity(config.value(), probe_args);
  return app::serve(config.value(), binary_dir(argv[0]));
}
