#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Small readers and writers of BSON fields shared by the collection stores.
namespace storefront::store {

void append_utf8(bson_t* doc, const char* key, std::string_view value);
// The string at `it`, empty when it holds something else.
std::string_view iter_utf8(const bson_iter_t* it);
// doc[key] as an integer (int32, int64 or double), `fallback` when absent.
std::int64_t int_field(const bson_t* doc, const char* key, std::int64_t fallback = 0);
std::string string_field(const bson_t* doc, const char* key);
std::optional<std::string> optional_string_field(const bson_t* doc, const char* key);
// doc[key] as an array of strings (non-strings skipped).
std::vector<std::string> strings_field(const bson_t* doc, const char* key);
// Milliseconds since the epoch on the wall clock (BSON dates).
std::int64_t now_ms();

}  // namespace storefront::store
