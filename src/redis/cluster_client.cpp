#include "redis/impl/cluster_client.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "obs/metrics.hpp"
#include "redis/impl/standalone_client.hpp"

namespace storefront::redis {
namespace {

using std::chrono::milliseconds;

constexpr int kMaxRedirects = 5;
// At most one CLUSTER SLOTS per interval per process, however many calls fail.
constexpr milliseconds kMinRefreshInterval{100};
// The slot map is also refreshed this often when nothing asks for it.
constexpr milliseconds kPeriodicRefresh{10'000};
constexpr milliseconds kTryAgainPause{5};

std::optional<int> to_int(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// "" (or "?") as a node's host means: the node that answered.
std::optional<RedisNode> node_of(const Reply& e, const RedisNode& answered) {
  if (e.type != Reply::Type::kArray || e.elements.size() < 2) return std::nullopt;
  const Reply& host = e.elements[0];
  const Reply& port = e.elements[1];
  if (host.type != Reply::Type::kString || port.type != Reply::Type::kInteger) return std::nullopt;
  RedisNode node;
  node.host = host.str.empty() || host.str == "?" ? answered.host : host.str;
  node.port = static_cast<int>(port.integer);
  return node;
}

// One "[first, last, master, replica...]" entry of CLUSTER SLOTS; the number
// of slots it assigned (0 when malformed).
std::size_t add_slot_range(const Reply& range, const RedisNode& answered, SlotMap& map) {
  if (range.type != Reply::Type::kArray || range.elements.size() < 3 ||
      range.elements[0].type != Reply::Type::kInteger ||
      range.elements[1].type != Reply::Type::kInteger) {
    return 0;
  }
  auto first = range.elements[0].integer;
  auto last = range.elements[1].integer;
  auto master = node_of(range.elements[2], answered);
  if (!master || first < 0 || last >= kClusterSlots || first > last) return 0;
  auto it = std::find(map.masters.begin(), map.masters.end(), *master);
  if (it == map.masters.end()) it = map.masters.insert(map.masters.end(), *master);
  auto index = static_cast<std::uint16_t>(it - map.masters.begin());
  for (auto slot = first; slot <= last; ++slot) map.owner[static_cast<std::size_t>(slot)] = index;
  for (std::size_t j = 2; j < range.elements.size(); ++j) {
    if (auto node = node_of(range.elements[j], answered);
        node && std::find(map.nodes.begin(), map.nodes.end(), *node) == map.nodes.end()) {
      map.nodes.push_back(*node);
    }
  }
  return static_cast<std::size_t>(last - first + 1);
}

Result<SlotMap> parse_cluster_slots(const Reply& r, const RedisNode& answered) {
  if (r.type != Reply::Type::kArray) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("CLUSTER SLOTS on {}: {}", answered.address(),
                             r.is_error() ? std::string_view(r.str) : "unexpected reply")};
  }
  SlotMap map;
  map.owner.fill(Topology::kNone);
  std::size_t covered = 0;
  for (const Reply& range : r.elements) covered += add_slot_range(range, answered, map);
  if (covered == 0) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("CLUSTER SLOTS on {}: no slots assigned", answered.address())};
  }
  return map;
}

}  // namespace

std::optional<Redirect> parse_redirect(std::string_view message, std::string_view current_host) {
  Redirect redirect{};
  if (message.starts_with("MOVED ")) {
    redirect.type = Redirect::Type::kMoved;
    message.remove_prefix(6);
  } else if (message.starts_with("ASK ")) {
    redirect.type = Redirect::Type::kAsk;
    message.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto space = message.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto slot = to_int(message.substr(0, space));
  auto endpoint = message.substr(space + 1);
  auto colon = endpoint.rfind(':');
  if (!slot || *slot < 0 || *slot >= kClusterSlots || colon == std::string_view::npos) {
    return std::nullopt;
  }
  auto port = to_int(endpoint.substr(colon + 1));
  if (!port || *port <= 0 || *port > 65535) return std::nullopt;
  auto host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  redirect.slot = *slot;
  redirect.node.host = std::string(host.empty() ? current_host : host);
  redirect.node.port = *port;
  return redirect;
}

ClusterClient::ClusterClient(const RedisConfig& config, obs::Registry& registry)
    : config_(config), options_(connect_options(config)), metrics_(registry) {
  refresher_ = std::thread([this] { refresher_loop(); });
}

ClusterClient::~ClusterClient() {
  {
    std::lock_guard lock(refresh_mutex_);
    stopping_ = true;
  }
  refresh_cv_.notify_all();
  refresh_done_cv_.notify_all();
  refresher_.join();
}

std::shared_ptr<const Topology> ClusterClient::topology() const {
  std::lock_guard lock(mutex_);
  return topology_;
}

std::shared_ptr<NodePool> ClusterClient::pool_for(const RedisNode& node) {
  auto address = node.address();
  std::lock_guard lock(mutex_);
  auto& pool = pools_[address];
  if (!pool) pool = std::make_shared<NodePool>(node.host, node.port, options_, config_.pool_size);
  return pool;
}

std::optional<RedisNode> ClusterClient::node_for_slot(int slot) const {
  auto pool = owner_of(slot);
  if (!pool) return std::nullopt;
  return RedisNode{pool->host(), pool->port()};
}

std::shared_ptr<NodePool> ClusterClient::owner_of(int slot) const {
  std::lock_guard lock(mutex_);
  if (!topology_) return nullptr;
  if (slot < 0) {
    // Keyless commands (PING) go to the master of slot 0, or any master.
    slot = 0;
    if (topology_->owner[0] == Topology::kNone) {
      return topology_->masters.empty() ? nullptr : topology_->masters.front();
    }
  }
  auto index = topology_->owner[static_cast<std::size_t>(slot)];
  return index == Topology::kNone ? nullptr : topology_->masters[index];
}

std::shared_ptr<NodePool> ClusterClient::patch_slot(int slot, const RedisNode& node) {
  auto pool = pool_for(node);
  std::lock_guard lock(mutex_);
  auto next = topology_ ? std::make_shared<Topology>(*topology_) : std::make_shared<Topology>();
  if (!topology_) next->owner.fill(Topology::kNone);
  auto it = std::find(next->masters.begin(), next->masters.end(), pool);
  if (it == next->masters.end()) it = next->masters.insert(next->masters.end(), pool);
  next->owner[static_cast<std::size_t>(slot)] =
      static_cast<std::uint16_t>(it - next->masters.begin());
  next->version++;
  topology_ = std::move(next);
  return pool;
}

void ClusterClient::request_refresh() {
  {
    std::lock_guard lock(refresh_mutex_);
    refresh_requested_ = true;
  }
  refresh_cv_.notify_one();
}

bool ClusterClient::refresh_and_wait(Deadline deadline) {
  std::unique_lock lock(refresh_mutex_);
  refresh_requested_ = true;
  refresh_cv_.notify_one();
  if (!refreshing_ && Clock::now() - last_refresh_start_ < kMinRefreshInterval) return false;
  // The running attempt (it may predate our failure, which only costs one
  // more failed call) or the one about to start.
  auto target = refresh_completed_ + 1;
  return refresh_done_cv_.wait_until(lock, deadline.at(), [&] {
    return stopping_ || refresh_completed_ >= target;
  }) && !stopping_;
}

void ClusterClient::refresher_loop() {
  std::unique_lock lock(refresh_mutex_);
  while (!stopping_) {
    refresh_cv_.wait_until(lock, last_refresh_start_ + kPeriodicRefresh,
                           [&] { return stopping_ || refresh_requested_; });
    if (stopping_) break;
    auto earliest = last_refresh_start_ + kMinRefreshInterval;
    if (Clock::now() < earliest) {
      refresh_cv_.wait_until(lock, earliest, [&] { return stopping_; });
      if (stopping_) break;
    }
    refresh_requested_ = false;
    refreshing_ = true;
    last_refresh_start_ = Clock::now();
    lock.unlock();
    refresh_once();
    lock.lock();
    refreshing_ = false;
    ++refresh_completed_;
    refresh_done_cv_.notify_all();
  }
}

std::vector<RedisNode> ClusterClient::refresh_candidates() {
  // Every node of the current map (masters and replicas) and the seeds,
  // starting at a rotating position so one bad node is not asked first every
  // time.
  std::vector<RedisNode> candidates;
  if (auto topo = topology()) candidates = topo->nodes;
  for (const auto& seed : config_.nodes) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
      candidates.push_back(seed);
    }
  }
  if (candidates.empty()) return candidates;
  std::rotate(candidates.begin(),
              candidates.begin() + static_cast<std::ptrdiff_t>(rotate_++ % candidates.size()),
              candidates.end());
  return candidates;
}

void ClusterClient::refresh_once() {
  metrics_.refreshes.inc();
  const auto candidates = refresh_candidates();
  if (candidates.empty()) return;
  std::string last_error;
  for (const auto& candidate : candidates) {
    auto loaded = load_slot_map(candidate);
    if (!loaded) {
      last_error = loaded.error().message;
      continue;
    }
    install(std::move(loaded.value()));
    if (refresh_failing_)
      spdlog::info("redis cluster: slot map loaded from {}", candidate.address());
    refresh_failing_ = false;
    return;
  }
  // Logged once per outage, not on every (rate-limited) attempt.
  if (!refresh_failing_) spdlog::warn("redis cluster: slot map refresh failed: {}", last_error);
  refresh_failing_ = true;
}

Result<SlotMap> ClusterClient::load_slot_map(const RedisNode& candidate) {
  auto deadline = Deadline::after(config_.connect_timeout + config_.command_timeout);
  auto conn = Connection::open(candidate.host, candidate.port, options_, deadline);
  if (!conn) return conn.error();
  std::array<std::string_view, 2> args{"CLUSTER", "SLOTS"};
  auto start = Clock::now();
  auto reply = conn.value()->run(args, deadline);
  metrics_.for_command("cluster_slots")
      .observe(std::chrono::duration<double>(Clock::now() - start).count());
  if (!reply) return reply.error();
  return parse_cluster_slots(reply.value(), candidate);
}

void ClusterClient::install(SlotMap map) {
  auto next = std::make_shared<Topology>();
  next->owner = map.owner;
  next->nodes = std::move(map.nodes);
  for (const auto& m : map.masters) next->masters.push_back(pool_for(m));
  std::lock_guard lock(mutex_);
  next->version = topology_ ? topology_->version + 1 : 1;
  topology_ = std::move(next);
}

std::shared_ptr<NodePool> ClusterClient::route(int slot, Deadline budget) {
  auto pool = owner_of(slot);
  if (!pool && refresh_and_wait(budget)) pool = owner_of(slot);
  return pool;
}

Result<Reply> ClusterClient::send(NodePool& pool, Args args, Attempt& attempt, Deadline budget,
                                  obs::Histogram& histogram) {
  attempt.reused = false;
  auto lease = pool.acquire(budget);
  if (!lease) return lease.error();
  attempt.reused = lease.value().reused();
  auto start = Clock::now();
  Result<Reply> reply = Error{ErrorKind::kInternal, ""};
  if (attempt.asking) {
    std::array<std::string_view, 1> asking_args{"ASKING"};
    auto replies = lease.value()->run({Args(asking_args), args}, budget);
    if (replies) {
      reply = std::move(replies.value().back());
    } else {
      reply = replies.error();
    }
  } else {
    reply = lease.value()->run(args, budget);
  }
  histogram.observe(std::chrono::duration<double>(Clock::now() - start).count());
  return reply;
}

bool ClusterClient::retry_after_failure(const Error& error, const NodePool& pool, int slot,
                                        Deadline budget, Attempt& attempt) {
  if (error.kind == ErrorKind::kTimeout) {
    // A stopped or partitioned master: its replica may take over, so look
    // again (in the background; this call has no time left).
    request_refresh();
    return false;
  }
  if (error.kind != ErrorKind::kUnavailable || budget.expired()) return false;
  if (attempt.reused && !attempt.retried_fresh) {
    attempt.retried_fresh = true;  // a stale pooled connection; try a fresh one once
    return true;
  }
  // The node is unreachable. If a fresh slot map names another master for
  // this slot, retry there; otherwise fail now (failover not done yet).
  if (attempt.forced || attempt.redirects >= kMaxRedirects || !refresh_and_wait(budget)) {
    return false;
  }
  auto now_owner = owner_of(slot);
  if (!now_owner || now_owner.get() == &pool) return false;
  ++attempt.redirects;
  attempt.asking = false;
  attempt.retried_fresh = false;
  return true;
}

std::optional<Error> ClusterClient::follow_error_reply(std::string_view message,
                                                       const NodePool& pool, int slot,
                                                       Deadline budget, Attempt& attempt) {
  if (auto redirect = parse_redirect(message, pool.host())) {
    if (++attempt.redirects > kMaxRedirects) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("redis cluster: more than {} redirects for slot {} (last: {})",
                               kMaxRedirects, slot, message)};
    }
    if (redirect->type == Redirect::Type::kMoved) {
      metrics_.moved.inc();
      attempt.forced = patch_slot(redirect->slot, redirect->node);
      attempt.asking = false;
      request_refresh();  // a MOVED usually means more slots moved
    } else {
      metrics_.ask.inc();
      attempt.forced = pool_for(redirect->node);
      attempt.asking = true;
    }
    attempt.retried_fresh = false;
    return std::nullopt;
  }
  if (message.starts_with("TRYAGAIN") && attempt.redirects < kMaxRedirects && !budget.expired()) {
    // A multi-key command during a slot migration; the keys will settle.
    ++attempt.redirects;
    std::this_thread::sleep_for(std::min<milliseconds>(kTryAgainPause, remaining(budget)));
    return std::nullopt;
  }
  if (message.starts_with("CLUSTERDOWN")) request_refresh();
  return error_from_reply(message);
}

Result<Reply> ClusterClient::execute(std::string_view name, int slot, Args args,
                                     Deadline deadline) {
  Deadline budget = deadline.capped(config_.command_timeout);
  auto& histogram = metrics_.for_command(name);
  Attempt attempt;
  while (true) {
    auto pool = attempt.forced ? attempt.forced : route(slot, budget);
    if (!pool) {
      return Error{ErrorKind::kUnavailable,
                   fmt::format("redis cluster: no reachable node serves slot {}", slot)};
    }
    auto reply = send(*pool, args, attempt, budget, histogram);
    if (!reply) {
      if (retry_after_failure(reply.error(), *pool, slot, budget, attempt)) continue;
      return reply.error();
    }
    if (!reply.value().is_error()) return reply;
    if (auto error = follow_error_reply(reply.value().str, *pool, slot, budget, attempt)) {
      return *error;
    }
  }
}

}  // namespace storefront::redis
