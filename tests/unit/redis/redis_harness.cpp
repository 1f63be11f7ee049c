#include "redis_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "redis/impl/connection.hpp"

namespace storefront::redis::testing {
namespace {

using std::chrono::milliseconds;

const char* server_path() {
  return STOREFRONT_REDIS_SERVER;
}
const char* cli_path() {
  return STOREFRONT_REDIS_CLI;
}

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// As redis-cli prints a reply, so tests compare with what they would type.
std::string render(const Reply& r) {
  switch (r.type) {
    case Reply::Type::kString:
    case Reply::Type::kStatus:
      return r.str;
    case Reply::Type::kError:
      return "(error) " + r.str;
    case Reply::Type::kInteger:
      return std::to_string(r.integer);
    case Reply::Type::kNil:
      return "(nil)";
    case Reply::Type::kArray: {
      std::string out;
      for (std::size_t i = 0; i < r.elements.size(); ++i) {
        if (i > 0) out += '\n';
        out += render(r.elements[i]);
      }
      return out;
    }
  }
  return "?";
}

// No signal policy here (SIGPIPE keeps its default action): the tests kill
// and pause servers under load, and a write to a reset connection must fail
// with EPIPE by itself (MSG_NOSIGNAL), not kill the test.

}  // namespace

bool redis_available() {
  return server_path()[0] != '\0' && cli_path()[0] != '\0' && ::access(server_path(), X_OK) == 0 &&
         ::access(cli_path(), X_OK) == 0;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sf-redis-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int pick_free_port() {
  static std::mutex mutex;
  static std::set<int> handed_out;
  static std::mt19937 rng(
      static_cast<unsigned>(::getpid()) ^
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::lock_guard lock(mutex);
  std::uniform_int_distribution<int> dist(20000, 29999);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = dist(rng);
    if (handed_out.count(port) != 0) continue;
    if (port_free(port) && port_free(port + 10000)) {
      handed_out.insert(port);
      return port;
    }
  }
  std::abort();
}

int run_process(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds timeout) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  // Built before fork: only async-signal-safe calls between fork and exec.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::dup2(pipefd[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  auto end = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  bool timed_out = false;
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    auto got = ::read(pipefd[0], buf, sizeof(buf));
    if (got <= 0) break;
    if (output != nullptr) output->append(buf, static_cast<std::size_t>(got));
  }
  ::close(pipefd[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (timed_out) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::optional<std::string> redis_command(int port, const std::vector<std::string>& args) {
  // The servers' admin client (cluster set-up, slot migration, INFO), on the
  // library's own connection: a connection bug fails these tests loudly.
  const auto deadline = Deadline::after(std::chrono::seconds(2));
  ConnectOptions options;
  options.connect_timeout = std::chrono::seconds(2);
  auto conn = Connection::open("127.0.0.1", port, options, deadline);
  if (!conn) return std::nullopt;
  const std::vector<std::string_view> argv(args.begin(), args.end());
  auto reply = conn.value()->run(argv, deadline);
  if (!reply) return std::nullopt;
  return render(reply.value());
}

RedisServer::RedisServer(std::string dir, int port, std::vector<std::string> extra_args)
    : dir_(std::move(dir)), port_(port), extra_(std::move(extra_args)) {
  started_ = start();
}

RedisServer::~RedisServer() {
  kill9();
}

bool RedisServer::start() {
  kill9();
  std::vector<std::string> argv = {server_path(),
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--logfile",
                                   dir_ + "/redis-" + std::to_string(port_) + ".log",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no"};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    auto pong = redis_command(port_, {"PING"});
    // With requirepass the server answers NOAUTH: it is up.
    if (pong && (*pong == "PONG" || pong->find("NOAUTH") != std::string::npos)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

void RedisServer::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::vector<ClusterNodeInfo> cluster_nodes(int port) {
  std::vector<ClusterNodeInfo> nodes;
  auto text = redis_command(port, {"CLUSTER", "NODES"});
  if (!text || text->starts_with("(error)")) return nodes;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    ClusterNodeInfo node;
    std::string addr, flags, ping, pong, epoch, link;
    if (!(fields >> node.id >> addr >> flags >> node.master_id >> ping >> pong >> epoch >> link)) {
      continue;
    }
    auto colon = addr.rfind(':');
    auto at = addr.find('@');
    if (colon == std::string::npos) continue;
    node.port = std::atoi(addr.substr(colon + 1, at - colon - 1).c_str());
    node.master = flags.find("master") != std::string::npos;
    node.failed = flags.find("fail") != std::string::npos;  // fail or fail?
    std::string range;
    while (fields >> range) {
      if (range.starts_with("[")) continue;  // migrating / importing
      auto dash = range.find('-');
      int first = std::atoi(range.substr(0, dash).c_str());
      int last = dash == std::string::npos ? first : std::atoi(range.substr(dash + 1).c_str());
      node.slots.emplace_back(first, last);
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

RedisCluster::RedisCluster() {
  for (int i = 0; i < 6; ++i) {
    int port = pick_free_port();
    ports_.push_back(port);
    servers_.push_back(std::make_unique<RedisServer>(
        dir_.path(), port,
        std::vector<std::string>{
            "--cluster-enabled", "yes", "--cluster-config-file",
            "nodes-" + std::to_string(port) + ".conf", "--cluster-node-timeout", "1000",
            // Replicas sync at once (default: 5 s delay), so they can take over.
            "--repl-diskless-sync-delay", "0"}));
    if (!servers_.back()->started()) {
      error_ = "redis-server did not start on port " + std::to_string(port);
      return;
    }
  }
  std::vector<std::string> argv = {cli_path(), "--cluster", "create"};
  for (int port : ports_) argv.push_back("127.0.0.1:" + std::to_string(port));
  argv.insert(argv.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  std::string output;
  if (run_process(argv, &output, std::chrono::seconds(60)) != 0) {
    error_ = "redis-cli --cluster create failed: " + output;
    return;
  }
  if (!wait_state_ok(ports_, std::chrono::seconds(30))) {
    error_ = "cluster_state did not become ok";
    return;
  }
  // Every node knows 3 masters with slots and 3 replicas.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    bool all = true;
    for (int port : ports_) {
      int masters = 0;
      int replicas = 0;
      for (const auto& n : cluster_nodes(port)) {
        if (n.master && !n.slots.empty()) ++masters;
        if (!n.master && n.master_id != "-") ++replicas;
      }
      all = all && masters == 3 && replicas == 3;
      // A replica that has not finished its first sync refuses to fail over.
      auto info = redis_command(port, {"INFO", "replication"}).value_or("");
      if (info.find("role:slave") != std::string::npos) {
        all = all && info.find("master_link_status:up") != std::string::npos &&
              info.find("master_sync_in_progress:0") != std::string::npos;
      }
    }
    if (all) return;
    std::this_thread::sleep_for(milliseconds(100));
  }
  error_ = "cluster nodes did not agree on 3 masters + 3 synced replicas";
}

RedisServer& RedisCluster::server(int port) {
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i] == port) return *servers_[i];
  }
  std::abort();
}

std::vector<int> RedisCluster::master_ports(int observer) {
  std::vector<int> out;
  for (const auto& n : cluster_nodes(observer)) {
    if (n.master && !n.failed && !n.slots.empty()) out.push_back(n.port);
  }
  return out;
}

int RedisCluster::master_for_slot(int slot, int observer) {
  for (const auto& n : cluster_nodes(observer)) {
    if (!n.master || n.failed) continue;
    for (auto [first, last] : n.slots) {
      if (slot >= first && slot <= last) return n.port;
    }
  }
  return -1;
}

std::string RedisCluster::node_id(int port) {
  auto id = redis_command(port, {"CLUSTER", "MYID"});
  return id ? *id : "";
}

bool RedisCluster::wait_state_ok(const std::vector<int>& ports, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    bool all = true;
    for (int port : ports) {
      auto info = redis_command(port, {"CLUSTER", "INFO"});
      all = all && info && info->find("cluster_state:ok") != std::string::npos;
    }
    if (all) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

void StandaloneRedisFixture::SetUp() {
  if (!redis_available()) GTEST_SKIP() << "redis-server / redis-cli not installed";
  port_ = pick_free_port();
  server_ = std::make_unique<RedisServer>(dir_.path(), port_, extra_args());
  ASSERT_TRUE(server_->started());
}

void StandaloneRedisFixture::TearDown() {
  if (server_) server_->resume();
}

RedisConfig StandaloneRedisFixture::config(const std::string& userinfo, const std::string& db) {
  auto c = parse_redis_url("redis://" + userinfo + "127.0.0.1:" + std::to_string(port_) + db);
  EXPECT_TRUE(c.ok());
  return c.value();
}

}  // namespace storefront::redis::testing
