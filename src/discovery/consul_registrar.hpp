#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "discovery/http_client.hpp"

namespace storefront::discovery {

struct RegistrationOptions {
  std::string agent_url;  // CONSUL_HTTP_ADDR, e.g. http://consul:8500
  std::string token;      // CONSUL_HTTP_TOKEN, optional
  std::string service_name = "storefront";
  std::string instance_id;
  std::string address;  // IP announced to Consul; empty: detected
  int port = 8080;
  std::string version;
  std::chrono::seconds check_interval{5};
  std::chrono::seconds check_timeout{2};
  // Long enough that an instance which died without deregistering stays in
  // the catalog (critical, so out of DNS and the gateway) while Prometheus,
  // which discovers its targets in Consul, reports it down (for: 2m).
  std::chrono::seconds deregister_critical_after{600};
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::milliseconds max_backoff{5000};
  // How often the agent is asked whether it still has the registration: an
  // agent restarted without its state (a -dev agent, a lost data dir) forgets
  // it, and the instance is registered again at the next verification.
  std::chrono::milliseconds verify_every{2000};
};

// The agent service registration payload (Consul /v1/agent/service/register).
std::string registration_payload(const RegistrationOptions& options);

// The local IP a packet to `peer_host` would leave from (a UDP connect sends
// nothing). APISIX needs an IP in Service.Address, never a hostname.
Result<std::string> detect_local_ip(const std::string& peer_host, const std::string& peer_port);

// Registers this instance with the local Consul agent in the background,
// retrying with exponential backoff until the agent answers, and verifies the
// registration periodically, registering again when the agent lost it.
class ConsulRegistrar {
 public:
  explicit ConsulRegistrar(RegistrationOptions options);
  ~ConsulRegistrar();
  ConsulRegistrar(const ConsulRegistrar&) = delete;
  ConsulRegistrar& operator=(const ConsulRegistrar&) = delete;

  // Validates the agent URL and starts the background thread.
  Status start();
  // Stops the thread and deregisters (one attempt, bounded by the timeout).
  void deregister();
  const RegistrationOptions& options() const { return options_; }

 private:
  void run();
  // One round: verify (when registered) or register; updates `registered`.
  Status step(bool& registered);
  Status register_once();
  // true: the agent has our service; false: it does not (404).
  Result<bool> still_registered();

  RegistrationOptions options_;
  HttpUrl agent_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace storefront::discovery
