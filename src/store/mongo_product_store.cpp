#include "store/mongo_product_store.hpp"

#include <fmt/format.h>
#include <mongoc/mongoc.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <unordered_set>

#include "common/json_writer.hpp"
#include "store/bson_json.hpp"

namespace storefront::store {
namespace {

using Lease = MongoPool::Lease;

std::string_view iter_utf8(const bson_iter_t* it) {
  if (bson_iter_type(it) != BSON_TYPE_UTF8) return {};
  std::uint32_t len = 0;
  const char* s = bson_iter_utf8(it, &len);
  return {s, len};
}

void append_utf8(bson_t* doc, const char* key, std::string_view value) {
  bson_append_utf8(doc, key, -1, value.data(), static_cast<int>(value.size()));
}

std::string value_json(const bson_iter_t* it) {
  std::string out;
  append_bson_value_json(out, it);
  return out;
}

// {kind, url, width?, height?} from a stored {kind, path, width?, height?}.
void append_media(JsonWriter& w, const bson_iter_t* media, std::string_view base) {
  bson_iter_t items;
  w.begin_array();
  if (BSON_ITER_HOLDS_ARRAY(media) && bson_iter_recurse(media, &items)) {
    while (bson_iter_next(&items)) {
      bson_iter_t field;
      if (!BSON_ITER_HOLDS_DOCUMENT(&items) || !bson_iter_recurse(&items, &field)) continue;
      w.begin_object();
      while (bson_iter_next(&field)) {
        const std::string_view key = bson_iter_key(&field);
        if (key == "path") {
          w.key("url");
          w.string(fmt::format("{}/{}", base, iter_utf8(&field)));
        } else if (key == "kind" || key == "width" || key == "height") {
          w.key(key);
          w.raw(value_json(&field));
        }
      }
      w.end_object();
    }
  }
  w.end_array();
}

BsonPtr product_document(std::string_view sku, const ProductInput& p, bson_error_t& error) {
  BsonPtr doc(bson_new());
  append_utf8(doc.get(), "_id", sku);
  append_utf8(doc.get(), "name", p.name);
  append_utf8(doc.get(), "description", p.description);
  append_utf8(doc.get(), "category", p.category);
  bson_t price;
  BSON_APPEND_DOCUMENT_BEGIN(doc.get(), "price", &price);
  BSON_APPEND_INT64(&price, "amount", p.amount);
  append_utf8(&price, "currency", p.currency);
  bson_append_document_end(doc.get(), &price);
  bson_t media;
  BSON_APPEND_ARRAY_BEGIN(doc.get(), "media", &media);
  for (std::size_t i = 0; i < p.media.size(); ++i) {
    const auto& m = p.media[i];
    const std::string index = std::to_string(i);
    bson_t item;
    BSON_APPEND_DOCUMENT_BEGIN(&media, index.c_str(), &item);
    append_utf8(&item, "kind", m.kind);
    append_utf8(&item, "path", m.path);
    if (m.width) BSON_APPEND_INT64(&item, "width", *m.width);
    if (m.height) BSON_APPEND_INT64(&item, "height", *m.height);
    bson_append_document_end(&media, &item);
  }
  bson_append_array_end(doc.get(), &media);
  bson_t* attributes =
      bson_new_from_json(reinterpret_cast<const std::uint8_t*>(p.attributes_json.data()),
                         static_cast<ssize_t>(p.attributes_json.size()), &error);
  if (!attributes) return BsonPtr(nullptr);
  BSON_APPEND_DOCUMENT(doc.get(), "attributes", attributes);
  bson_destroy(attributes);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  BSON_APPEND_DATE_TIME(doc.get(), "updated_at", now);
  return doc;
}

std::int64_t reply_count(const bson_t* reply, const char* key) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply, key) ? bson_iter_as_int64(&it) : 0;
}

}  // namespace

MongoProductStore::MongoProductStore(MongoPool& pool, std::string media_base)
    : pool_(pool), media_base_(std::move(media_base)) {}

void MongoProductStore::append_product(std::string& out, const bson_t* doc) const {
  JsonWriter w(out);
  w.begin_object();
  bson_iter_t it;
  // Rendered in a fixed order whatever order the document has.
  static constexpr std::array<std::pair<const char*, const char*>, 6> kFields{
      {{"_id", "sku"},
       {"name", "name"},
       {"description", "description"},
       {"category", "category"},
       {"price", "price"},
       {"media", "media"}}};
  for (const auto& [field, key] : kFields) {
    w.key(key);
    if (!bson_iter_init_find(&it, doc, field)) {
      std::string_view(key) == "media" ? (w.begin_array(), w.end_array()) : w.null();
    } else if (std::string_view(key) == "media") {
      append_media(w, &it, media_base_);
    } else {
      w.raw(value_json(&it));
    }
  }
  w.key("attributes");
  bson_iter_init_find(&it, doc, "attributes") ? w.raw(value_json(&it)) : w.raw("{}");
  w.key("updated_at");
  bson_iter_init_find(&it, doc, "updated_at") ? w.raw(value_json(&it)) : w.null();
  w.end_object();
}

Result<std::optional<std::string>> MongoProductStore::product_json(std::string_view sku,
                                                                   Deadline deadline) {
  Lease lease(pool_, "find_one");
  auto coll = lease.collection(kCollection);
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "_id", sku);
  BsonPtr opts(BCON_NEW("limit", BCON_INT64(1), "singleBatch", BCON_BOOL(true), "maxTimeMS",
                        BCON_INT64(deadline.remaining_ms())));
  return lease.find_one_json(
      coll.get(), filter.get(), opts.get(),
      [this](std::string& out, const bson_t* doc) { append_product(out, doc); });
}

Result<std::string> MongoProductStore::products_json(const ProductQuery& query, Deadline deadline) {
  Lease lease(pool_, "find");
  auto coll = lease.collection(kCollection);
  BsonPtr filter(bson_new());
  if (query.category) append_utf8(filter.get(), "category", *query.category);
  if (query.after) {
    bson_t range;
    BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "_id", &range);
    append_utf8(&range, "$gt", *query.after);
    bson_append_document_end(filter.get(), &range);
  }
  // One more than the page: whether it exists says if there is a next page.
  const std::int64_t fetch = query.limit + 1;
  BsonPtr opts(BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}", "limit", BCON_INT64(fetch),
                        "batchSize", BCON_INT64(fetch), "singleBatch", BCON_BOOL(true), "maxTimeMS",
                        BCON_INT64(deadline.remaining_ms())));
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::string out = R"({"products":[)";
  const bson_t* doc = nullptr;
  int n = 0;
  std::string last;
  bool more = false;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    if (n == query.limit) {
      more = true;
      break;
    }
    if (n++ > 0) out.push_back(',');
    append_product(out, doc);
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "_id")) last = std::string(iter_utf8(&it));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  out.append(R"(],"next":)");
  if (more) {
    append_json_string(out, last);
  } else {
    out.append("null");
  }
  out.push_back('}');
  return out;
}

Result<std::string> MongoProductStore::categories_json(Deadline deadline) {
  Lease lease(pool_, "aggregate");
  auto coll = lease.collection(kCollection);
  BsonPtr pipeline(BCON_NEW("pipeline", "[", "{", "$group", "{", "_id", BCON_UTF8("$category"),
                            "products", "{", "$sum", BCON_INT32(1), "}", "}", "}", "{", "$sort",
                            "{", "_id", BCON_INT32(1), "}", "}", "]"));
  auto opts = max_time_opts(deadline);
  CursorPtr cursor(mongoc_collection_aggregate(coll.get(), MONGOC_QUERY_NONE, pipeline.get(),
                                               opts.get(), nullptr));
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("categories");
  w.begin_array();
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    w.begin_object();
    w.key("name");
    bson_iter_init_find(&it, doc, "_id") ? w.raw(value_json(&it)) : w.null();
    w.key("products");
    w.number(bson_iter_init_find(&it, doc, "products") ? bson_iter_as_int64(&it) : 0);
    w.end_object();
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  w.end_array();
  w.end_object();
  return out;
}

Result<PutOutcome> MongoProductStore::put_product(std::string_view sku, const ProductInput& product,
                                                  Deadline deadline) {
  (void)deadline;  // bounded by socketTimeoutMS; maxTimeMS is not valid for writes here
  Lease lease(pool_, "replace");
  auto coll = lease.collection(kCollection);
  bson_error_t error;
  BsonPtr doc = product_document(sku, product, error);
  if (!doc.get()) return Error{ErrorKind::kInvalid, error.message};
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "_id", sku);
  BsonPtr opts(BCON_NEW("upsert", BCON_BOOL(true)));
  Reply reply;
  if (!mongoc_collection_replace_one(coll.get(), filter.get(), doc.get(), opts.get(), &reply.doc,
                                     &error)) {
    return lease.fail(error);
  }
  PutOutcome outcome;
  outcome.created = reply_count(&reply.doc, "upsertedCount") > 0;
  append_product(outcome.json, doc.get());
  return outcome;
}

Result<bool> MongoProductStore::delete_product(std::string_view sku, Deadline deadline) {
  (void)deadline;
  Lease lease(pool_, "delete");
  auto coll = lease.collection(kCollection);
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "_id", sku);
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_delete_one(coll.get(), filter.get(), nullptr, &reply.doc, &error)) {
    return lease.fail(error);
  }
  return reply_count(&reply.doc, "deletedCount") > 0;
}

Result<MongoProductStore::FillReport> MongoProductStore::fill(
    const std::vector<std::pair<std::string, ProductInput>>& products, Deadline deadline) {
  Lease lease(pool_, "bulk_write");
  auto coll = lease.collection(kCollection);
  FillReport report;
  bson_error_t error;
  std::unordered_set<std::string> existing;
  {
    bson_t filter = BSON_INITIALIZER;
    BsonPtr opts(BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}", "maxTimeMS",
                          BCON_INT64(deadline.remaining_ms())));
    CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), &filter, opts.get(), nullptr));
    const bson_t* doc = nullptr;
    while (mongoc_cursor_next(cursor.get(), &doc)) {
      bson_iter_t it;
      if (bson_iter_init_find(&it, doc, "_id")) existing.emplace(iter_utf8(&it));
    }
    if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  }
  for (const auto& [sku, product] : products) {
    if (existing.count(sku)) {
      ++report.existing;
      continue;
    }
    BsonPtr doc = product_document(sku, product, error);
    if (!doc.get()) return Error{ErrorKind::kInvalid, error.message};
    Reply reply;
    // One by one: a fill is a few thousand documents at most, and an
    // insert_one that meets a concurrent fill's document fails alone.
    if (!mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, &reply.doc, &error)) {
      if (error.code == 11000) {
        ++report.existing;
        continue;
      }
      return lease.fail(error);
    }
    ++report.inserted;
  }
  // Category pages walk SKUs in order within a category.
  BsonPtr create(BCON_NEW("createIndexes", BCON_UTF8(kCollection), "indexes", "[", "{", "key", "{",
                          "category", BCON_INT32(1), "_id", BCON_INT32(1), "}", "name",
                          BCON_UTF8("category_1__id_1"), "}", "]"));
  Reply reply;
  if (!mongoc_collection_write_command_with_opts(coll.get(), create.get(), nullptr, &reply.doc,
                                                 &error)) {
    spdlog::warn("creating the category index failed: {}", error.message);
  }
  return report;
}

std::vector<std::pair<std::string, ProductInput>> generated_products(std::int64_t count) {
  static constexpr std::array<const char*, 6> kCategories{"phones",  "tablets",    "laptops",
                                                          "watches", "headphones", "accessories"};
  std::vector<std::pair<std::string, ProductInput>> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) {
    std::string sku = fmt::format("sku-{:05}", i);
    ProductInput p;
    const char* category = kCategories[static_cast<std::size_t>(i) % kCategories.size()];
    p.category = category;
    p.name = fmt::format("Mobile World {} #{}", category, i);
    p.description = fmt::format("Generated demo product {} in {}.", i, category);
    p.amount = 99000 + (i * 7919) % 15000000;  // kopecks
    p.currency = "RUB";
    const std::int64_t media = 1 + i % 3;
    for (std::int64_t m = 0; m < media; ++m) {
      p.media.push_back({"image", fmt::format("products/{}/{}.png", sku, m), 64, 64});
    }
    p.attributes_json = fmt::format(R"({{"color":"{}","warranty_months":{}}})",
                                    (i % 2) ? "black" : "silver", 12 + 12 * (i % 2));
    out.emplace_back(std::move(sku), std::move(p));
  }
  return out;
}

}  // namespace storefront::store
