#include "api/root_cache.hpp"

namespace storefront::api {

RootCache::Info RootCache::fresh(Clock::time_point now) const {
  if (ttl_.count() <= 0) return nullptr;
  std::lock_guard lock(mutex_);
  return now < expires_ ? info_ : nullptr;
}

void RootCache::store(Info info, Clock::time_point now) {
  if (ttl_.count() <= 0) return;
  std::lock_guard lock(mutex_);
  info_ = std::move(info);
  expires_ = now + ttl_;
}

}  // namespace storefront::api
