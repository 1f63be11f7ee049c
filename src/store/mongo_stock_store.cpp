#include "store/mongo_stock_store.hpp"

#include <mongoc/mongoc.h>

#include <algorithm>

#include "store/bson_fields.hpp"

namespace storefront::store {
namespace {

using Lease = MongoPool::Lease;

StockLevel parse_level(const bson_t* doc) {
  StockLevel level;
  level.sku = string_field(doc, "_id");
  level.available = int_field(doc, "available");
  level.reserved = int_field(doc, "reserved");
  level.sold = int_field(doc, "sold");
  level.added = int_field(doc, "added");
  level.pending = strings_field(doc, "pending");
  return level;
}

BsonPtr by_sku(std::string_view sku) {
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "_id", sku);
  return filter;
}

// Adds {field: {$gte: units}} to a filter.
void append_at_least(bson_t* filter, const char* field, std::int64_t units) {
  bson_t gte;
  BSON_APPEND_DOCUMENT_BEGIN(filter, field, &gte);
  BSON_APPEND_INT64(&gte, "$gte", units);
  bson_append_document_end(filter, &gte);
}

// {_id: sku, pending: marker} or {_id: sku, pending: {$ne: marker}}.
BsonPtr marker_filter(std::string_view sku, std::string_view marker, bool present) {
  BsonPtr filter = by_sku(sku);
  if (present) {
    append_utf8(filter.get(), "pending", marker);
  } else {
    bson_t ne;
    BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "pending", &ne);
    append_utf8(&ne, "$ne", marker);
    bson_append_document_end(filter.get(), &ne);
  }
  return filter;
}

// {$inc: {from: -units, to: units}, <op>: {pending: marker}}
BsonPtr move_update(const char* from, const char* to, std::int64_t units, const char* op,
                    std::string_view marker) {
  BsonPtr update(BCON_NEW("$inc", "{", from, BCON_INT64(-units), to, BCON_INT64(units), "}"));
  bson_t marker_doc;
  bson_append_document_begin(update.get(), op, -1, &marker_doc);
  append_utf8(&marker_doc, "pending", marker);
  bson_append_document_end(update.get(), &marker_doc);
  return update;
}

}  // namespace

Result<std::optional<StockLevel>> MongoStockStore::level(std::string_view sku, Deadline deadline) {
  Lease lease(pool_, "find_one");
  auto coll = lease.collection(kCollection);
  auto filter = by_sku(sku);
  BsonPtr opts(BCON_NEW("limit", BCON_INT64(1), "singleBatch", BCON_BOOL(true), "maxTimeMS",
                        BCON_INT64(deadline.remaining_ms())));
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<StockLevel> found;
  if (mongoc_cursor_next(cursor.get(), &doc)) found = parse_level(doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  return found;
}

Result<std::optional<StockLevel>> MongoStockStore::adjust(std::string_view sku, std::int64_t delta,
                                                          Deadline deadline) {
  if (delta == 0) return level(sku, deadline);
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  // A removal takes only available units: the condition is in the filter.
  auto filter = by_sku(sku);
  if (delta < 0) append_at_least(filter.get(), "available", -delta);
  BsonPtr update(BCON_NEW("$inc", "{", "available", BCON_INT64(delta), "added", BCON_INT64(delta),
                          "}", "$setOnInsert", "{", "reserved", BCON_INT64(0), "sold",
                          BCON_INT64(0), "pending", "[", "]", "}"));
  Reply after;
  auto matched =
      lease.modify_one(coll.get(), filter.get(), update.get(), deadline, delta > 0, &after.doc);
  if (!matched) return matched.error();
  if (!*matched) return std::optional<StockLevel>();
  return std::optional(parse_level(&after.doc));
}

Result<bool> MongoStockStore::take(std::string_view sku, std::string_view marker, const char* from,
                                   const char* to, std::int64_t units, Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  auto filter = marker_filter(sku, marker, false);
  append_at_least(filter.get(), from, units);
  auto update = move_update(from, to, units, "$push", marker);
  return lease.modify_one(coll.get(), filter.get(), update.get(), deadline);
}

Result<Take> MongoStockStore::reserve(std::string_view sku, std::string_view marker,
                                      std::int64_t units, Deadline deadline) {
  auto taken = take(sku, marker, "available", "reserved", units, deadline);
  if (!taken) return taken.error();
  if (*taken) return Take{true, 0};
  // Nothing matched: short, or this order's reservation is already there (a
  // repeated step). The decision was the conditional update's; this read
  // only tells the two apart and reports what was available.
  auto seen = level(sku, deadline);
  if (!seen) return seen.error();
  if (!*seen) return Take{false, 0};
  const auto& pending = seen.value()->pending;
  const bool held = std::find(pending.begin(), pending.end(), marker) != pending.end();
  return Take{held, seen.value()->available};
}

Result<bool> MongoStockStore::settle(std::string_view sku, std::string_view marker,
                                     const char* from, const char* to, std::int64_t units,
                                     Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  auto filter = marker_filter(sku, marker, true);
  auto update = move_update(from, to, units, "$pull", marker);
  return lease.modify_one(coll.get(), filter.get(), update.get(), deadline);
}

Result<bool> MongoStockStore::commit(std::string_view sku, std::string_view marker,
                                     std::int64_t units, Deadline deadline) {
  return settle(sku, marker, "reserved", "sold", units, deadline);
}

Result<bool> MongoStockStore::release(std::string_view sku, std::string_view marker,
                                      std::int64_t units, Deadline deadline) {
  return settle(sku, marker, "reserved", "available", units, deadline);
}

Result<bool> MongoStockStore::give_back(std::string_view sku, std::string_view marker,
                                        std::int64_t units, Deadline deadline) {
  return take(sku, marker, "sold", "available", units, deadline);
}

Status MongoStockStore::unmark(std::string_view sku, std::string_view marker, Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  auto filter = marker_filter(sku, marker, true);
  BsonPtr update(bson_new());
  bson_t pull;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$pull", &pull);
  append_utf8(&pull, "pending", marker);
  bson_append_document_end(update.get(), &pull);
  auto done = lease.modify_one(coll.get(), filter.get(), update.get(), deadline);
  if (!done) return done.error();
  return ok_status();
}

Result<std::vector<StockLevel>> MongoStockStore::all(Deadline deadline) {
  Lease lease(pool_, "find");
  auto coll = lease.collection(kCollection);
  bson_t filter = BSON_INITIALIZER;
  auto opts = max_time_opts(deadline);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), &filter, opts.get(), nullptr));
  std::vector<StockLevel> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) out.push_back(parse_level(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  return out;
}

Result<bool> MongoStockStore::create_if_missing(std::string_view sku, std::int64_t units,
                                                Deadline deadline) {
  (void)deadline;  // inserts are bounded by socketTimeoutMS
  Lease lease(pool_, "insert");
  auto coll = lease.collection(kCollection);
  BsonPtr doc = by_sku(sku);
  BSON_APPEND_INT64(doc.get(), "available", units);
  BSON_APPEND_INT64(doc.get(), "reserved", 0);
  BSON_APPEND_INT64(doc.get(), "sold", 0);
  BSON_APPEND_INT64(doc.get(), "added", units);
  bson_t pending;
  BSON_APPEND_ARRAY_BEGIN(doc.get(), "pending", &pending);
  bson_append_array_end(doc.get(), &pending);
  bson_error_t error;
  Reply reply;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, &reply.doc, &error)) return true;
  if (error.code == 11000) return false;  // never resets existing stock
  return lease.fail(error);
}

}  // namespace storefront::store
