#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

// Metrics on prometheus-cpp (Debian bookworm's prometheus-cpp-dev 1.0.1, core
// library only): it stores the series, and render() writes its Collect() with
// its TextSerializer; our own HTTP server serves that (no civetweb Exposer).
//
// Why prometheus-cpp and not our former hand-written registry: the numbers.
// bench/micro BM_CachedHitUpdates, every metric update of one cached GET
// (in-flight +1/-1, request counter, duration histogram, cache hit, MGET
// duration), CPU ns, Release, median of 3 (docs/benchmarks.md "Metrics"):
// 109 ns on 1 thread, 148 ns per thread on 2 (former registry: 68 / 80). A
// cached hit costs 31-48 us of CPU, so that is 0.3-0.5 %, under the 1 %
// (~0.3 us) above which we would have kept our own. Histogram::Observe takes a
// mutex (35 vs 22 ns); counters are a CAS on a double (9.5 vs 6.3 ns).
//
// What this layer adds: with() finds a series by its label values under a
// shared lock and a string key, without building a prometheus::Labels map
// (Family::Add allocates a std::map per call and takes an exclusive lock);
// families keep their label names and buckets so that components can share one
// by name. The hottest paths keep the series they get anyway.
//
// Exposition differences from the former hand-written registry: labels come out
// in name order (prometheus::Labels is a std::map; every family here declares
// them in that order), histograms write _count and _sum before their buckets,
// values have at most 16 significant digits, NaN is written "Nan". Series of a
// family are sorted by their labels, and a family without series keeps its
// HELP and TYPE lines, as before. No _created series (not in 1.0.1).
namespace storefront::obs {

class Counter {
 public:
  explicit Counter(prometheus::Counter& impl) : impl_(&impl) {}
  void inc(std::uint64_t n = 1);
  std::uint64_t value() const;

 private:
  prometheus::Counter* impl_;
};

class Gauge {
 public:
  explicit Gauge(prometheus::Gauge& impl) : impl_(&impl) {}
  void set(double v);
  void add(double d);
  double value() const;

 private:
  prometheus::Gauge* impl_;
};

class Histogram {
 public:
  explicit Histogram(prometheus::Histogram& impl) : impl_(&impl) {}
  void observe(double v);

 private:
  prometheus::Histogram* impl_;
};

// Default latency buckets in seconds: 0.5 ms .. 10 s.
std::span<const double> latency_buckets();

template <class Metric>
struct ImplOf;
template <>
struct ImplOf<Counter> {
  using type = prometheus::Counter;
};
template <>
struct ImplOf<Gauge> {
  using type = prometheus::Gauge;
};
template <>
struct ImplOf<Histogram> {
  using type = prometheus::Histogram;
};

template <class Metric>
class Family {
 public:
  using Impl = typename ImplOf<Metric>::type;

  Family(prometheus::Family<Impl>& impl, std::string name, std::string help,
         std::vector<std::string> labels, std::vector<double> bounds = {});

  // The series for these label values (in the order of the label names).
  Metric& with(std::initializer_list<std::string_view> values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }

 private:
  Impl& add(std::initializer_list<std::string_view> values);

  prometheus::Family<Impl>& impl_;
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<Metric>, std::less<>> series_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name again returns the family registered first (its help,
  // labels and buckets), so components may share a metric. A name registered
  // as another type throws std::invalid_argument (prometheus-cpp checks it).
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> labels = {},
                               std::span<const double> bounds = latency_buckets());
  // A gauge or counter whose value is read at scrape time.
  void callback(std::string name, std::string help, std::string type, std::function<double()> fn);

  // The text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Callback {
    std::string name, help, type;
    std::function<double()> fn;
  };

  // Declared first so that it outlives the families that point into it.
  std::unique_ptr<prometheus::Registry> impl_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<Callback> callbacks_;
};

}  // namespace storefront::obs
