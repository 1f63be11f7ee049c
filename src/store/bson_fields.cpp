#include "store/bson_fields.hpp"

#include <chrono>

namespace storefront::store {

void append_utf8(bson_t* doc, const char* key, std::string_view value) {
  bson_append_utf8(doc, key, -1, value.data(), static_cast<int>(value.size()));
}

std::string_view iter_utf8(const bson_iter_t* it) {
  if (bson_iter_type(it) != BSON_TYPE_UTF8) return {};
  std::uint32_t len = 0;
  const char* s = bson_iter_utf8(it, &len);
  return {s, len};
}

std::int64_t int_field(const bson_t* doc, const char* key, std::int64_t fallback) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, key)) return fallback;
  if (BSON_ITER_HOLDS_DATE_TIME(&it)) return bson_iter_date_time(&it);
  return bson_iter_as_int64(&it);
}

std::string string_field(const bson_t* doc, const char* key) {
  return optional_string_field(doc, key).value_or("");
}

std::optional<std::string> optional_string_field(const bson_t* doc, const char* key) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_UTF8(&it)) return std::nullopt;
  return std::string(iter_utf8(&it));
}

std::vector<std::string> strings_field(const bson_t* doc, const char* key) {
  std::vector<std::string> out;
  bson_iter_t it, items;
  if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &items)) {
    return out;
  }
  while (bson_iter_next(&items)) {
    if (BSON_ITER_HOLDS_UTF8(&items)) out.emplace_back(iter_utf8(&items));
  }
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace storefront::store
