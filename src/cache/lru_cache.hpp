#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/now_fn.hpp"

namespace storefront::cache {

// The in-process L1: a bounded LRU of immutable response bodies with a TTL.
// Each entry carries the generation of its collection at the time it was
// loaded; a lookup with a newer generation treats it as absent. Thread-safe.
class LruCache {
 public:
  using Value = std::shared_ptr<const std::string>;

  LruCache(std::size_t capacity, std::chrono::milliseconds ttl, NowFn now = {});

  // nullptr when absent, expired or of another generation.
  Value get(std::string_view key, std::uint64_t generation);
  void put(std::string_view key, std::uint64_t generation, Value value);
  void erase(std::string_view key);
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string key;
    std::uint64_t generation;
    Clock::time_point expires;
    Value value;
  };
  using List = std::list<Entry>;

  const std::size_t capacity_;
  const std::chrono::milliseconds ttl_;
  const NowFn now_;
  mutable std::mutex mutex_;
  List lru_;                                                    // most recently used first
  std::unordered_map<std::string_view, List::iterator> index_;  // keys point into lru_
};

}  // namespace storefront::cache
