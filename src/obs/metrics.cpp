#include "obs/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <set>
#include <type_traits>

namespace storefront::obs {
namespace {

constexpr char kSeparator = '\x1f';

std::string join_key(std::initializer_list<std::string_view> values) {
  std::string key;
  for (auto v : values) {
    key.append(v);
    key.push_back(kSeparator);
  }
  return key;
}

prometheus::MetricType callback_type(std::string_view type) {
  if (type == "counter") return prometheus::MetricType::Counter;
  if (type == "gauge") return prometheus::MetricType::Gauge;
  return prometheus::MetricType::Untyped;
}

prometheus::MetricFamily sampled_family(const std::string& name, const std::string& help,
                                        std::string_view type, double value) {
  prometheus::MetricFamily family{name, help, callback_type(type), {prometheus::ClientMetric{}}};
  auto& metric = family.metric.front();
  metric.counter.value = metric.gauge.value = metric.untyped.value = value;
  return family;
}

// unordered_map order in prometheus-cpp; sorted, one scrape reads like the next.
void sort_series(std::vector<prometheus::MetricFamily>& families) {
  for (auto& family : families) {
    std::sort(family.metric.begin(), family.metric.end(),
              [](const auto& a, const auto& b) { return a.label < b.label; });
  }
}

// prometheus-cpp collects nothing for a family without series; the former
// registry wrote its HELP and TYPE lines, and so do we.
template <class Metric>
void add_families_without_series(const std::vector<std::unique_ptr<Family<Metric>>>& families,
                                 const std::set<std::string>& collected,
                                 std::vector<prometheus::MetricFamily>& out) {
  for (const auto& family : families) {
    if (collected.contains(family->name())) continue;
    out.push_back({family->name(), family->help(), Family<Metric>::Impl::metric_type, {}});
  }
}

// Caller holds the registry's lock.
template <class Metric>
Family<Metric>& register_family(prometheus::Registry& registry,
                                std::vector<std::unique_ptr<Family<Metric>>>& families,
                                std::string name, std::string help, std::vector<std::string> labels,
                                std::vector<double> bounds = {}) {
  for (const auto& family : families) {
    if (family->name() == name) return *family;
  }
  auto& impl =
      prometheus::detail::Builder<typename Family<Metric>::Impl>().Name(name).Help(help).Register(
          registry);
  families.push_back(std::make_unique<Family<Metric>>(impl, std::move(name), std::move(help),
                                                      std::move(labels), std::move(bounds)));
  return *families.back();
}

}  // namespace

void Counter::inc(std::uint64_t n) {
  impl_->Increment(static_cast<double>(n));
}

std::uint64_t Counter::value() const {
  return static_cast<std::uint64_t>(impl_->Value());
}

void Gauge::set(double v) {
  impl_->Set(v);
}

void Gauge::add(double d) {
  impl_->Increment(d);
}

double Gauge::value() const {
  return impl_->Value();
}

void Histogram::observe(double v) {
  impl_->Observe(v);
}

std::span<const double> latency_buckets() {
  static constexpr std::array<double, 14> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

template <class Metric>
Family<Metric>::Family(prometheus::Family<Impl>& impl, std::string name, std::string help,
                       std::vector<std::string> labels, std::vector<double> bounds)
    : impl_(impl),
      name_(std::move(name)),
      help_(std::move(help)),
      labels_(std::move(labels)),
      bounds_(std::move(bounds)) {}

template <class Metric>
typename Family<Metric>::Impl& Family<Metric>::add(std::initializer_list<std::string_view> values) {
  prometheus::Labels labels;
  auto value = values.begin();
  for (std::size_t i = 0; i < labels_.size() && value != values.end(); ++i, ++value) {
    labels.emplace(labels_[i], std::string(*value));
  }
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return impl_.Add(labels, bounds_);
  } else {
    return impl_.Add(labels);
  }
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  auto key = join_key(values);
  {
    std::shared_lock lock(mutex_);
    if (auto it = series_.find(key); it != series_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = series_.try_emplace(std::move(key));
  if (inserted) it->second = std::make_unique<Metric>(add(values));
  return *it->second;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry::Registry() : impl_(std::make_unique<prometheus::Registry>()) {}

Registry::~Registry() = default;

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  return register_family(*impl_, counters_, std::move(name), std::move(help), std::move(labels));
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  return register_family(*impl_, gauges_, std::move(name), std::move(help), std::move(labels));
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::span<const double> bounds) {
  std::lock_guard lock(mutex_);
  return register_family(*impl_, histograms_, std::move(name), std::move(help), std::move(labels),
                         std::vector<double>(bounds.begin(), bounds.end()));
}

void Registry::callback(std::string name, std::string help, std::string type,
                        std::function<double()> fn) {
  std::lock_guard lock(mutex_);
  callbacks_.push_back({std::move(name), std::move(help), std::move(type), std::move(fn)});
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  auto families = impl_->Collect();
  sort_series(families);
  std::set<std::string> collected;
  for (const auto& family : families) collected.insert(family.name);
  add_families_without_series(counters_, collected, families);
  add_families_without_series(gauges_, collected, families);
  add_families_without_series(histograms_, collected, families);
  for (const auto& c : callbacks_)
    families.push_back(sampled_family(c.name, c.help, c.type, c.fn()));
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace storefront::obs
