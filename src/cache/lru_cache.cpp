#include "cache/lru_cache.hpp"

namespace storefront::cache {

LruCache::LruCache(std::size_t capacity, std::chrono::milliseconds ttl, NowFn now)
    : capacity_(capacity),
      ttl_(ttl),
      now_(now ? std::move(now) : NowFn([] { return Clock::now(); })) {}

LruCache::Value LruCache::get(std::string_view key, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  auto entry = it->second;
  if (entry->generation != generation || now_() >= entry->expires) {
    index_.erase(it);
    lru_.erase(entry);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return entry->value;
}

void LruCache::put(std::string_view key, std::uint64_t generation, Value value) {
  if (capacity_ == 0) return;
  auto expires = now_() + ttl_;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    auto entry = it->second;
    entry->generation = generation;
    entry->expires = expires;
    entry->value = std::move(value);
    lru_.splice(lru_.begin(), lru_, entry);
    return;
  }
  while (lru_.size() >= capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Entry{std::string(key), generation, expires, std::move(value)});
  index_.emplace(lru_.front().key, lru_.begin());
}

void LruCache::erase(std::string_view key) {
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
}

std::size_t LruCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace storefront::cache
