#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace storefront::obs {
namespace {

TEST(Metrics, RendersCountersWithEscapedLabels) {
  Registry r;
  auto& requests = r.counter("http_requests_total", "Requests.", {"route", "status"});
  requests.with({"/a", "200"}).inc();
  requests.with({"/a", "200"}).inc(2);
  requests.with({"x\"y\\z\n", "500"}).inc();
  const auto text = r.render();
  EXPECT_NE(text.find("# TYPE http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find(R"(route="x\"y\\z\n")"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  const double bounds[] = {0.1, 1.0};
  auto& h = r.histogram("lat_seconds", "Latency.", {"route"}, bounds).with({"/"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const auto text = r.render();
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{route=\"/\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{route=\"/\"} 5.55\n"), std::string::npos);
}

TEST(Metrics, GaugesAndCallbacks) {
  Registry r;
  auto& g = r.gauge("in_flight", "In flight.").with({});
  g.add(3);
  g.add(-1);
  r.callback("answer", "The answer.", "gauge", [] { return 42.0; });
  const auto text = r.render();
  EXPECT_NE(text.find("in_flight 2\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE answer gauge\nanswer 42\n"), std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& family = r.counter("c_total", "C.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family, t] {
      for (int i = 0; i < 10000; ++i) family.with({t % 2 ? "a" : "b"}).inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(family.with({"a"}).value() + family.with({"b"}).value(), 40000u);
}

}  // namespace
}  // namespace storefront::obs
