#pragma once

// Real redis-server processes for the `redis`-labelled tests: each test starts
// its own on free loopback ports in a temporary directory and kills them at
// the end (also when an assertion fails: destructors send SIGKILL).

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/deadline.hpp"
#include "obs/metrics.hpp"
#include "redis/config.hpp"

namespace storefront::redis::testing {

// Fail-fast bound: command timeout plus this margin (sanitizers, a loaded box).
inline constexpr std::chrono::milliseconds kMargin{50};

// A deadline that never decides a test.
inline Deadline later() {
  return Deadline::after(std::chrono::seconds(5));
}

template <class F>
std::chrono::milliseconds timed(F&& f) {
  auto start = Clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

bool redis_available();  // redis-server and redis-cli were found at configure time

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A port p such that p and p + 10000 (the cluster bus) are free on 127.0.0.1.
int pick_free_port();

// Runs argv, returns the exit code (-1 on timeout) and the combined output.
int run_process(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds timeout);

// One command on 127.0.0.1:port with a 2 s timeout. The reply as text:
// strings and statuses verbatim, integers in decimal, nil as "(nil)", arrays
// one element per line, errors as "(error) <message>"; nullopt when the
// connection fails.
std::optional<std::string> redis_command(int port, const std::vector<std::string>& args);

class RedisServer {
 public:
  RedisServer(std::string dir, int port, std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  bool started() const { return started_; }
  int port() const { return port_; }
  void kill9();   // SIGKILL and reap
  void pause();   // SIGSTOP
  void resume();  // SIGCONT
  bool start();   // (re)start on the same port; waits for PING

 private:
  std::string dir_;
  int port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  bool started_ = false;
};

struct ClusterNodeInfo {
  std::string id;
  int port = 0;
  bool master = false;
  bool failed = false;
  std::string master_id;
  std::vector<std::pair<int, int>> slots;
};

// `CLUSTER NODES` as seen by the node on `port`.
std::vector<ClusterNodeInfo> cluster_nodes(int port);

// 6 nodes (3 masters + 3 replicas), cluster-node-timeout 1000 ms.
class RedisCluster {
 public:
  RedisCluster();
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::vector<int>& ports() const { return ports_; }
  RedisServer& server(int port);
  // Masters (alive, not failed) and the port serving `slot`, as seen by `observer`.
  std::vector<int> master_ports(int observer);
  int master_for_slot(int slot, int observer);
  std::string node_id(int port);
  // Waits until every listed node reports cluster_state:ok.
  bool wait_state_ok(const std::vector<int>& ports, std::chrono::milliseconds timeout);

 private:
  TempDir dir_;
  std::vector<int> ports_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::string error_;
};

// One redis-server on a free port per test (extra_args() adds flags).
class StandaloneRedisFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  virtual std::vector<std::string> extra_args() { return {}; }

  // redis://[userinfo]127.0.0.1:<port>[db]
  RedisConfig config(const std::string& userinfo = "", const std::string& db = "");

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<RedisServer> server_;
  obs::Registry registry_;
};

}  // namespace storefront::redis::testing
