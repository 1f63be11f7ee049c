#include "obs/metrics.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

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

std::vector<std::string_view> split_key(std::string_view key) {
  std::vector<std::string_view> parts;
  while (!key.empty()) {
    auto pos = key.find(kSeparator);
    parts.push_back(key.substr(0, pos));
    key.remove_prefix(pos + 1);
  }
  return parts;
}

void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string_view>& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out.append(names[i]);
    out.append("=\"");
    append_label_value(out, values[i]);
    out.push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out.push_back(',');
    out.append(extra_name);
    out.append("=\"");
    out.append(extra_value);
    out.push_back('"');
  }
  out.push_back('}');
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class T>
void atomic_add(std::atomic<T>& a, T d) {
  T cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
  }
}

}  // namespace

void append_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

void append_number(std::string& out, double v) {
  if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf");
  } else if (std::isnan(v)) {
    out.append("NaN");
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<long long>(v));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

void Gauge::add(double d) {
  atomic_add(value_, d);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, v);
}

std::span<const double> latency_buckets() {
  static constexpr std::array<double, 14> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

template <class Metric>
std::unique_ptr<Metric> Family<Metric>::make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(bounds_);
  } else {
    return std::make_unique<Metric>();
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
  if (inserted) it->second = make();
  return *it->second;
}

template <class Metric>
void Family<Metric>::render(std::string& out) const {
  std::shared_lock lock(mutex_);
  if constexpr (std::is_same_v<Metric, Counter>) {
    append_header(out, name_, help_, "counter");
    for (const auto& [key, m] : series_) {
      out.append(name_);
      append_labels(out, labels_, split_key(key));
      out.push_back(' ');
      append_number(out, static_cast<double>(m->value()));
      out.push_back('\n');
    }
  } else if constexpr (std::is_same_v<Metric, Gauge>) {
    append_header(out, name_, help_, "gauge");
    for (const auto& [key, m] : series_) {
      out.append(name_);
      append_labels(out, labels_, split_key(key));
      out.push_back(' ');
      append_number(out, m->value());
      out.push_back('\n');
    }
  } else {
    append_header(out, name_, help_, "histogram");
    for (const auto& [key, m] : series_) {
      auto values = split_key(key);
      std::uint64_t cumulative = 0;
      auto bounds = m->bounds();
      for (std::size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += m->bucket(i);
        std::string le;
        append_number(le, i < bounds.size() ? bounds[i] : INFINITY);
        out.append(name_).append("_bucket");
        append_labels(out, labels_, values, "le", le);
        fmt::format_to(std::back_inserter(out), " {}\n", cumulative);
      }
      out.append(name_).append("_sum");
      append_labels(out, labels_, values);
      out.push_back(' ');
      append_number(out, m->sum());
      out.push_back('\n');
      out.append(name_).append("_count");
      append_labels(out, labels_, values);
      fmt::format_to(std::back_inserter(out), " {}\n", m->count());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {

// A family registered again by name (two components sharing a metric) is
// the first one: one series set, one HELP line.
template <class T>
Family<T>* registered(const std::vector<std::unique_ptr<Family<T>>>& families,
                      const std::string& name) {
  for (const auto& family : families) {
    if (family->name() == name) return family.get();
  }
  return nullptr;
}

}  // namespace

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  if (auto* existing = registered(counters_, name)) return *existing;
  counters_.push_back(
      std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels)));
  return *counters_.back();
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  if (auto* existing = registered(gauges_, name)) return *existing;
  gauges_.push_back(
      std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels)));
  return *gauges_.back();
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::span<const double> bounds) {
  std::lock_guard lock(mutex_);
  if (auto* existing = registered(histograms_, name)) return *existing;
  histograms_.push_back(
      std::make_unique<Family<Histogram>>(std::move(name), std::move(help), std::move(labels),
                                          std::vector<double>(bounds.begin(), bounds.end())));
  return *histograms_.back();
}

void Registry::callback(std::string name, std::string help, std::string type,
                        std::function<double()> fn) {
  std::lock_guard lock(mutex_);
  callbacks_.push_back({std::move(name), std::move(help), std::move(type), std::move(fn)});
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16 * 1024);
  std::lock_guard lock(mutex_);
  for (const auto& f : counters_) f->render(out);
  for (const auto& f : gauges_) f->render(out);
  for (const auto& f : histograms_) f->render(out);
  for (const auto& c : callbacks_) {
    append_header(out, c.name, c.help, c.type);
    out.append(c.name).push_back(' ');
    append_number(out, c.fn());
    out.push_back('\n');
  }
  return out;
}

}  // namespace storefront::obs
