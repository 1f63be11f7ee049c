#include "app/probe.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "app/application.hpp"
#include "app/cli_args.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "store/mongo_store.hpp"

namespace storefront::app {

Result<ProbeArgs> parse_probe_args(const std::vector<std::string>& args,
                                   std::vector<std::string>& rest) {
  ProbeArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (auto v = flag_value(args, i, "--collection")) {
      out.collection = *v;
    } else if (auto id = flag_value(args, i, "--id")) {
      out.id = *id;
    } else if (auto field = flag_value(args, i, "--field")) {
      out.field = *field;
    } else if (auto c = flag_value(args, i, "--clients")) {
      auto n = integer_flag("--clients", *c, 1, 256);
      if (!n) return n.error();
      out.clients = static_cast<int>(*n);
    } else {
      rest.push_back(args[i]);
    }
  }
  if (out.field.empty() || out.field.find_first_of("$.") != std::string::npos) {
    return Error{ErrorKind::kInvalid, "invalid --field '" + out.field + "'"};
  }
  return out;
}

int probe_atomicity(const Config& config, const ProbeArgs& args) {
  obs::init_logging(config.log_level, false);
  store::MongoDriver driver;
  obs::Registry registry;
  auto options = mongo_options(config);
  options.max_pool_size = static_cast<std::size_t>(args.clients);
  store::MongoPool pool(options, registry);
  store::MongoStore store(pool);

  std::atomic<std::int64_t> taken{0}, short_of{0}, errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  clients.reserve(static_cast<std::size_t>(args.clients));
  for (int i = 0; i < args.clients; ++i) {
    clients.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();  // start together: maximal contention
      for (;;) {
        auto r = store.decrement_if_at_least(args.collection, args.id, args.field, 1,
                                             Deadline::after(config.request_timeout));
        if (!r) {
          spdlog::error("take failed: {}", r.error().message);
          errors.fetch_add(1);
          return;
        }
        if (!*r) {
          short_of.fetch_add(1);
          return;
        }
        taken.fetch_add(1);
      }
    });
  }
  go.store(true);
  for (auto& t : clients) t.join();
  std::printf(R"({"clients":%d,"taken":%lld,"short":%lld,"errors":%lld})"
              "\n",
              args.clients, static_cast<long long>(taken.load()),
              static_cast<long long>(short_of.load()), static_cast<long long>(errors.load()));
  std::fflush(stdout);
  return errors.load() == 0 ? 0 : 1;
}

}  // namespace storefront::app
