#include "discovery/consul_registrar.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "common/json_writer.hpp"

namespace storefront::discovery {

namespace asio = boost::asio;

namespace {

std::vector<std::pair<std::string, std::string>> token_header(const std::string& token) {
  if (token.empty()) return {};
  return {{"X-Consul-Token", token}};
}

}  // namespace

std::string registration_payload(const RegistrationOptions& o) {
  auto secs = [](std::chrono::seconds s) { return std::to_string(s.count()) + "s"; };
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("ID");
  w.string(o.instance_id);
  w.key("Name");
  w.string(o.service_name);
  w.key("Tags");
  w.begin_array();
  w.string("storefront");
  w.string("v" + o.version);
  w.end_array();
  w.key("Address");
  w.string(o.address);
  w.key("Port");
  w.number(static_cast<std::int64_t>(o.port));
  w.key("Meta");
  w.begin_object();
  w.key("version");
  w.string(o.version);
  w.end_object();
  w.key("Check");
  w.begin_object();
  w.key("Name");
  w.string("storefront readiness");
  w.key("HTTP");
  w.string("http://" + o.address + ":" + std::to_string(o.port) + "/health/ready");
  w.key("Method");
  w.string("GET");
  w.key("Interval");
  w.string(secs(o.check_interval));
  w.key("Timeout");
  w.string(secs(o.check_timeout));
  w.key("DeregisterCriticalServiceAfter");
  w.string(secs(o.deregister_critical_after));
  w.end_object();
  w.end_object();
  return out;
}

Result<std::string> detect_local_ip(const std::string& peer_host, const std::string& peer_port) {
  try {
    asio::io_context ioc;
    asio::ip::udp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(asio::ip::udp::v4(), peer_host, peer_port);
    asio::ip::udp::socket socket(ioc);
    socket.connect(*endpoints.begin());
    return socket.local_endpoint().address().to_string();
  } catch (const std::exception& e) {
    return Error{ErrorKind::kUnavailable, std::string("cannot detect local IP: ") + e.what()};
  }
}

ConsulRegistrar::ConsulRegistrar(RegistrationOptions options) : options_(std::move(options)) {}

ConsulRegistrar::~ConsulRegistrar() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ConsulRegistrar::start() {
  auto agent = parse_http_url(options_.agent_url);
  if (!agent) return Error{ErrorKind::kInvalid, "CONSUL_HTTP_ADDR: " + agent.error().message};
  agent_ = *agent;
  if (options_.address.empty()) {
    auto ip = detect_local_ip(agent_.host, agent_.port);
    if (!ip) return ip.error();
    options_.address = *ip;
  }
  thread_ = std::thread([this] { run(); });
  return ok_status();
}

Status ConsulRegistrar::register_once() {
  auto res = http_request(agent_, "PUT", "/v1/agent/service/register?replace-existing-checks=true",
                          registration_payload(options_), token_header(options_.token),
                          options_.request_timeout);
  if (!res) return res.error();
  if (res->status != 200) {
    return Error{ErrorKind::kUnavailable,
                 "consul answered " + std::to_string(res->status) + ": " + res->body};
  }
  return ok_status();
}

Result<bool> ConsulRegistrar::still_registered() {
  auto res = http_request(agent_, "GET", "/v1/agent/service/" + options_.instance_id, "",
                          token_header(options_.token), options_.request_timeout);
  if (!res) return res.error();
  if (res->status == 200) return true;
  if (res->status == 404) return false;
  return Error{ErrorKind::kUnavailable,
               "consul answered " + std::to_string(res->status) + ": " + res->body};
}

Status ConsulRegistrar::step(bool& registered) {
  if (registered) {
    auto known = still_registered();
    if (!known) {
      registered = false;
      return known.error();
    }
    if (*known) return ok_status();
    spdlog::warn(
        "consul at {} no longer knows {} (agent restarted without its state?); "
        "registering again",
        options_.agent_url, options_.instance_id);
    registered = false;
  }
  auto status = register_once();
  if (status) {
    spdlog::info("registered {} ({}:{}) with consul at {}", options_.instance_id, options_.address,
                 options_.port, options_.agent_url);
    registered = true;
  }
  return status;
}

void ConsulRegistrar::run() {
  auto backoff = std::chrono::milliseconds(200);
  bool registered = false;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto status = step(registered);
    lock.lock();
    if (stopping_) break;
    std::chrono::milliseconds wait = options_.verify_every;
    if (status) {
      backoff = std::chrono::milliseconds(200);
    } else {
      spdlog::warn("consul registration failed, retrying in {} ms: {}", backoff.count(),
                   status.error().message);
      wait = backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

void ConsulRegistrar::deregister() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  auto res = http_request(agent_, "PUT", "/v1/agent/service/deregister/" + options_.instance_id, "",
                          token_header(options_.token), options_.request_timeout);
  if (res && res->status == 404) {
    // Gone already: deregistered by an operator, or the agent lost its state.
    spdlog::info("{} was not registered with consul any more", options_.instance_id);
  } else if (!res || res->status != 200) {
    spdlog::warn("consul deregistration of {} failed: {}", options_.instance_id,
                 res ? std::to_string(res->status) : res.error().message);
  } else {
    spdlog::info("deregistered {} from consul", options_.instance_id);
  }
}

}  // namespace storefront::discovery
