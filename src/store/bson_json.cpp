#include "store/bson_json.hpp"

#include <fmt/format.h>

#include <cstring>
#include <ctime>

#include "common/json_writer.hpp"

namespace storefront::store {
namespace {

void append_document(std::string& out, const bson_iter_t* it, bool is_array) {
  bson_iter_t child;
  if (!bson_iter_recurse(it, &child)) {
    out.append("null");
    return;
  }
  out.push_back(is_array ? '[' : '{');
  bool first = true;
  while (bson_iter_next(&child)) {
    if (!first) out.push_back(',');
    first = false;
    if (!is_array) {
      append_json_string(out, std::string_view(bson_iter_key(&child), bson_iter_key_len(&child)));
      out.push_back(':');
    }
    append_bson_value_json(out, &child);
  }
  out.push_back(is_array ? ']' : '}');
}

void append_oid(std::string& out, const bson_oid_t* oid) {
  char hex[25];
  bson_oid_to_string(oid, hex);
  out.push_back('"');
  out.append(hex, 24);
  out.push_back('"');
}

void append_datetime(std::string& out, std::int64_t millis) {
  std::time_t secs = static_cast<std::time_t>(millis / 1000);
  auto ms = static_cast<int>(millis % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ms);
}

}  // namespace

void append_bson_value_json(std::string& out, const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_UTF8: {
      std::uint32_t len = 0;
      const char* s = bson_iter_utf8(it, &len);
      append_json_string(out, std::string_view(s, len));
      return;
    }
    case BSON_TYPE_INT32:
      fmt::format_to(std::back_inserter(out), "{}", bson_iter_int32(it));
      return;
    case BSON_TYPE_INT64:
      fmt::format_to(std::back_inserter(out), "{}", bson_iter_int64(it));
      return;
    case BSON_TYPE_DOUBLE: {
      std::string tmp;
      JsonWriter(tmp).number(bson_iter_double(it));
      out.append(tmp);
      return;
    }
    case BSON_TYPE_BOOL:
      out.append(bson_iter_bool(it) ? "true" : "false");
      return;
    case BSON_TYPE_OID:
      append_oid(out, bson_iter_oid(it));
      return;
    case BSON_TYPE_DATE_TIME:
      append_datetime(out, bson_iter_date_time(it));
      return;
    case BSON_TYPE_DOCUMENT:
      append_document(out, it, false);
      return;
    case BSON_TYPE_ARRAY:
      append_document(out, it, true);
      return;
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t dec;
      char buf[BSON_DECIMAL128_STRING];
      bson_iter_decimal128(it, &dec);
      bson_decimal128_to_string(&dec, buf);
      append_json_string(out, buf);
      return;
    }
    default:
      out.append("null");
      return;
  }
}

void append_user_json(std::string& out, const bson_t* doc) {
  bson_iter_t it;
  bson_iter_t id, age, name;
  bool has_id = false, has_age = false, has_name = false;
  if (bson_iter_init(&it, doc)) {
    while (bson_iter_next(&it)) {
      const char* key = bson_iter_key(&it);
      if (!has_id && std::strcmp(key, "_id") == 0) {
        id = it;
        has_id = true;
      } else if (!has_age && std::strcmp(key, "age") == 0) {
        age = it;
        has_age = true;
      } else if (!has_name && std::strcmp(key, "name") == 0) {
        name = it;
        has_name = true;
      }
    }
  }
  out.append(R"({"id":)");
  if (has_id) {
    append_bson_value_json(out, &id);
  } else {
    out.append("null");
  }
  out.append(R"(,"age":)");
  if (has_age) {
    append_bson_value_json(out, &age);
  } else {
    out.append("null");
  }
  out.append(R"(,"name":)");
  if (has_name) {
    append_bson_value_json(out, &name);
  } else {
    out.append("null");
  }
  out.push_back('}');
}

}  // namespace storefront::store
