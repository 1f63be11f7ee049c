#include "obs/metrics.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
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

TEST(Metrics, FamilyWithoutSeriesKeepsItsHelpAndType) {
  Registry r;
  r.counter("errors_total", "Errors, by kind.", {"kind"});
  const auto text = r.render();
  EXPECT_NE(text.find("# HELP errors_total Errors, by kind.\n# TYPE errors_total counter\n"),
            std::string::npos)
      << text;
}

TEST(Metrics, RegisteringANameAgainSharesTheFirstFamily) {
  Registry r;
  auto& first = r.counter("shared_total", "First help.", {"k"});
  auto& again = r.counter("shared_total", "Other help.", {"other"});
  EXPECT_EQ(&first, &again);
  again.with({"v"}).inc();
  const auto text = r.render();
  EXPECT_NE(text.find("shared_total{k=\"v\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Other help."), std::string::npos) << text;
  EXPECT_THROW(r.gauge("shared_total", "As a gauge."), std::invalid_argument);
}

TEST(Metrics, SeriesOfAFamilyAreSortedByLabels) {
  Registry r;
  auto& f = r.counter("sorted_total", "Sorted.", {"k"});
  for (const char* v : {"c", "a", "d", "b"}) f.with({v}).inc();
  const auto text = r.render();
  const auto a = text.find("k=\"a\""), b = text.find("k=\"b\""), c = text.find("k=\"c\""),
             d = text.find("k=\"d\"");
  ASSERT_NE(d, std::string::npos) << text;
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
}

// Scrapes while other threads add series and record (TSan runs this).
TEST(Metrics, RenderWhileRecordingFromManyThreads) {
  Registry r;
  auto& counters = r.counter("busy_total", "Busy.", {"k"});
  auto& latency = r.histogram("busy_seconds", "Busy.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const auto k = std::to_string((t + i) % 16);
        counters.with({k}).inc();
        latency.with({k}).observe(0.001 * i);
      }
    });
  }
  std::size_t scraped = 0;
  for (int i = 0; i < 20; ++i) scraped += r.render().size();
  for (auto& t : threads) t.join();
  EXPECT_GT(scraped, 0u);
  std::uint64_t total = 0;
  for (int k = 0; k < 16; ++k) total += counters.with({std::to_string(k)}).value();
  EXPECT_EQ(total, 8000u);
  EXPECT_NE(r.render().find("busy_seconds_count{k=\"0\"} 500\n"), std::string::npos);
}

}  // namespace
}  // namespace storefront::obs
