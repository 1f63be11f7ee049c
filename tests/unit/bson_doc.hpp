#pragma once

#include <bson/bson.h>
#include <gtest/gtest.h>

namespace storefront::testing {

// A bson_t built from (relaxed or canonical) extended JSON, for tests.
class Doc {
 public:
  explicit Doc(const char* json) {
    bson_error_t error;
    EXPECT_TRUE(bson_init_from_json(&doc_, json, -1, &error)) << error.message;
  }
  ~Doc() { bson_destroy(&doc_); }
  Doc(const Doc&) = delete;
  Doc& operator=(const Doc&) = delete;
  const bson_t* get() const { return &doc_; }

 private:
  bson_t doc_;
};

}  // namespace storefront::testing
