#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// A small Prometheus registry (text exposition 0.0.4). prometheus-cpp is not
// packaged in Debian bookworm. Recording is a few relaxed atomic operations;
// label lookup takes a shared (read) lock and is meant to be cached by callers
// on the hottest paths.
namespace storefront::obs {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double v);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  // Non-cumulative count of bucket i (i == bounds.size() is +Inf).
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  std::span<const double> bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Default latency buckets in seconds: 0.5 ms .. 10 s.
std::span<const double> latency_buckets();

template <class Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}

  // The series for these label values (in the order of the label names).
  Metric& with(std::initializer_list<std::string_view> values);

  const std::string& name() const { return name_; }
  void render(std::string& out) const;

 private:
  std::unique_ptr<Metric> make() const;

  std::string name_, help_;
  std::vector<std::string> labels_;
  std::vector<double> bounds_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<Metric>, std::less<>> series_;
};

class Registry {
 public:
  // Registering a name again returns the family registered first (its help,
  // labels and buckets), so components may share a metric.
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> labels = {},
                               std::span<const double> bounds = latency_buckets());
  // A gauge or counter whose value is read at scrape time.
  void callback(std::string name, std::string help, std::string type, std::function<double()> fn);

  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  struct Callback {
    std::string name, help, type;
    std::function<double()> fn;
  };
  std::vector<Callback> callbacks_;
};

// Escapes a label value for the text format.
void append_label_value(std::string& out, std::string_view v);
void append_number(std::string& out, double v);

}  // namespace storefront::obs
