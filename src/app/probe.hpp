#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "common/result.hpp"

namespace storefront::app {

// `storefront probe-atomicity`: N concurrent clients take one unit at a time
// from one counter document through the store's conditional decrement until it
// is empty, and the process prints how many takes succeeded. Run it from two
// processes at once against a document holding K units: a database that keeps
// single-document updates atomic gives exactly K successes in total; one that
// loses updates gives more. The functional suite races two instances this way.
struct ProbeArgs {
  std::string collection = "atomicity_probe";
  std::string id = "counter";
  std::string field = "available";
  int clients = 32;
};

// Takes the probe's flags out of `args`; the rest go to `rest`.
Result<ProbeArgs> parse_probe_args(const std::vector<std::string>& args,
                                   std::vector<std::string>& rest);

// Prints {"clients": N, "taken": n, "short": s, "errors": e} on stdout; exit code 0, or 1 when
// any take failed with an error.
int probe_atomicity(const Config& config, const ProbeArgs& args);

}  // namespace storefront::app
