#include "store/mongo_order_store.hpp"

#include <mongoc/mongoc.h>

#include <array>

#include "common/enum_names.hpp"
#include "store/bson_fields.hpp"

namespace storefront::store {
namespace {

using Lease = MongoPool::Lease;

constexpr auto kStatuses = enum_names<OrderStatus, OrderStatus::kFailed>(
    std::array{"pending", "confirmed", "cancelled", "failed"});
constexpr auto kPhases = enum_names<OrderPhase, OrderPhase::kDone>(
    std::array{"reserving", "committing", "returning", "unmarking", "done"});

void append_money(bson_t* doc, const char* key, std::int64_t amount, std::string_view currency) {
  bson_t money;
  bson_append_document_begin(doc, key, -1, &money);
  BSON_APPEND_INT64(&money, "amount", amount);
  append_utf8(&money, "currency", currency);
  bson_append_document_end(doc, &money);
}

void append_rejection(bson_t* doc, const Rejection& r) {
  bson_t sub;
  BSON_APPEND_DOCUMENT_BEGIN(doc, "rejection", &sub);
  append_utf8(&sub, "sku", r.sku);
  BSON_APPEND_INT64(&sub, "requested", r.requested);
  BSON_APPEND_INT64(&sub, "available", r.available);
  bson_append_document_end(doc, &sub);
}

BsonPtr order_document(const Order& o) {
  BsonPtr doc(bson_new());
  append_utf8(doc.get(), "_id", o.id);
  if (o.idempotency_key) append_utf8(doc.get(), "idempotency_key", *o.idempotency_key);
  append_utf8(doc.get(), "request_hash", o.request_hash);
  append_utf8(doc.get(), "customer_id", o.customer_id);
  bson_t items;
  BSON_APPEND_ARRAY_BEGIN(doc.get(), "items", &items);
  for (std::size_t i = 0; i < o.items.size(); ++i) {
    const std::string index = std::to_string(i);
    bson_t item;
    BSON_APPEND_DOCUMENT_BEGIN(&items, index.c_str(), &item);
    append_utf8(&item, "sku", o.items[i].sku);
    BSON_APPEND_INT64(&item, "quantity", o.items[i].quantity);
    append_money(&item, "unit_price", o.items[i].unit_amount, o.items[i].currency);
    bson_append_document_end(&items, &item);
  }
  bson_append_array_end(doc.get(), &items);
  append_money(doc.get(), "total", o.total_amount, o.currency);
  append_utf8(doc.get(), "status", to_string(o.status));
  append_utf8(doc.get(), "phase", to_string(o.phase));
  BSON_APPEND_DATE_TIME(doc.get(), "created_at", o.created_at_ms);
  BSON_APPEND_DATE_TIME(doc.get(), "updated_at", o.updated_at_ms);
  if (o.rejection) append_rejection(doc.get(), *o.rejection);
  return doc;
}

// The sub-document at `it` as a bson_t view (valid while the parent lives).
bool view_of(const bson_iter_t* it, bson_t* view) {
  std::uint32_t len = 0;
  const std::uint8_t* data = nullptr;
  if (BSON_ITER_HOLDS_DOCUMENT(it)) {
    bson_iter_document(it, &len, &data);
  } else if (BSON_ITER_HOLDS_ARRAY(it)) {
    bson_iter_array(it, &len, &data);
  } else {
    return false;
  }
  return bson_init_static(view, data, len);
}

bool sub_document(const bson_t* doc, const char* key, bson_t* view) {
  bson_iter_t it;
  return bson_iter_init_find(&it, doc, key) && view_of(&it, view);
}

OrderItem parse_item(const bson_t* doc) {
  OrderItem item;
  item.sku = string_field(doc, "sku");
  item.quantity = int_field(doc, "quantity");
  bson_t price;
  if (sub_document(doc, "unit_price", &price)) {
    item.unit_amount = int_field(&price, "amount");
    item.currency = string_field(&price, "currency");
  }
  return item;
}

Order parse_order(const bson_t* doc) {
  Order o;
  o.id = string_field(doc, "_id");
  o.idempotency_key = optional_string_field(doc, "idempotency_key");
  o.request_hash = string_field(doc, "request_hash");
  o.customer_id = string_field(doc, "customer_id");
  bson_t items;
  bson_iter_t it;
  if (sub_document(doc, "items", &items) && bson_iter_init(&it, &items)) {
    bson_t item;
    while (bson_iter_next(&it)) {
      if (view_of(&it, &item)) o.items.push_back(parse_item(&item));
    }
  }
  bson_t total;
  if (sub_document(doc, "total", &total)) {
    o.total_amount = int_field(&total, "amount");
    o.currency = string_field(&total, "currency");
  }
  // An unknown name (never written by this code) reads as the first value,
  // as before the table: pending / reserving, which the sweep resolves.
  o.status = kStatuses.parse(string_field(doc, "status")).value_or(OrderStatus::kPending);
  o.phase = kPhases.parse(string_field(doc, "phase")).value_or(OrderPhase::kReserving);
  o.created_at_ms = int_field(doc, "created_at");
  o.updated_at_ms = int_field(doc, "updated_at");
  bson_t rejection;
  if (sub_document(doc, "rejection", &rejection)) {
    o.rejection = Rejection{string_field(&rejection, "sku"), int_field(&rejection, "requested"),
                            int_field(&rejection, "available")};
  }
  return o;
}

BsonPtr by_id(std::string_view id) {
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "_id", id);
  return filter;
}

BsonPtr transition_update(const Transition& t) {
  BsonPtr update(bson_new());
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_utf8(&set, "status", to_string(t.to_status));
  append_utf8(&set, "phase", to_string(t.to_phase));
  BSON_APPEND_DATE_TIME(&set, "updated_at", now_ms());
  if (t.rejection) append_rejection(&set, *t.rejection);
  bson_append_document_end(update.get(), &set);
  if (t.release_key) {
    bson_t unset;
    BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
    append_utf8(&unset, "idempotency_key", "");
    bson_append_document_end(update.get(), &unset);
  }
  return update;
}

}  // namespace

const char* to_string(OrderStatus status) {
  return kStatuses.name(status, "pending");
}

const char* to_string(OrderPhase phase) {
  return kPhases.name(phase, "reserving");
}

Status MongoOrderStore::ensure_indexes(Deadline deadline) {
  (void)deadline;
  Lease lease(pool_, "command");
  auto coll = lease.collection(kCollection);
  // Unique: one order per key across every instance. Sparse: orders without
  // a key (and failed attempts that released theirs) are not in it.
  BsonPtr create(BCON_NEW("createIndexes", BCON_UTF8(kCollection), "indexes", "[", "{", "key", "{",
                          "idempotency_key", BCON_INT32(1), "}", "name",
                          BCON_UTF8("idempotency_key_1"), "unique", BCON_BOOL(true), "sparse",
                          BCON_BOOL(true), "}", "]"));
  bson_error_t error;
  Reply reply;
  if (!mongoc_collection_write_command_with_opts(coll.get(), create.get(), nullptr, &reply.doc,
                                                 &error)) {
    return lease.fail(error);
  }
  return ok_status();
}

Result<bool> MongoOrderStore::exists(Deadline deadline) {
  Lease lease(pool_, "command");
  mongoc_database_t* db =
      mongoc_client_get_database(lease.client(), pool_.options().database.c_str());
  BsonPtr opts(BCON_NEW("filter", "{", "name", BCON_UTF8(kCollection), "}", "nameOnly",
                        BCON_BOOL(true), "maxTimeMS", BCON_INT64(deadline.remaining_ms())));
  bson_error_t error;
  char** names = mongoc_database_get_collection_names_with_opts(db, opts.get(), &error);
  mongoc_database_destroy(db);
  if (!names) return lease.fail(error);
  bool found = false;  // compared by name too: the stand-in ignores the filter
  for (char** name = names; *name; ++name) found = found || std::string_view(*name) == kCollection;
  bson_strfreev(names);
  return found;
}

Result<bool> MongoOrderStore::insert(const Order& order, Deadline deadline) {
  (void)deadline;  // inserts are bounded by socketTimeoutMS
  Lease lease(pool_, "insert");
  auto coll = lease.collection(kCollection);
  auto doc = order_document(order);
  bson_error_t error;
  Reply reply;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, &reply.doc, &error)) return true;
  if (error.code == 11000) return false;
  return lease.fail(error);
}

Result<std::optional<Order>> MongoOrderStore::find_one(const bson_t* filter, Deadline deadline) {
  Lease lease(pool_, "find_one");
  auto coll = lease.collection(kCollection);
  BsonPtr opts(BCON_NEW("limit", BCON_INT64(1), "singleBatch", BCON_BOOL(true), "maxTimeMS",
                        BCON_INT64(deadline.remaining_ms())));
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter, opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<Order> found;
  if (mongoc_cursor_next(cursor.get(), &doc)) found = parse_order(doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  return found;
}

Result<std::optional<Order>> MongoOrderStore::find(std::string_view id, Deadline deadline) {
  return find_one(by_id(id).get(), deadline);
}

Result<std::optional<Order>> MongoOrderStore::find_by_key(std::string_view key, Deadline deadline) {
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "idempotency_key", key);
  return find_one(filter.get(), deadline);
}

Result<bool> MongoOrderStore::transition(std::string_view id, const Transition& t,
                                         Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  auto filter = by_id(id);
  append_utf8(filter.get(), "status", to_string(t.from_status));
  append_utf8(filter.get(), "phase", to_string(t.from_phase));
  auto update = transition_update(t);
  return lease.modify_one(coll.get(), filter.get(), update.get(), deadline);
}

Result<std::vector<Order>> MongoOrderStore::stuck(std::int64_t before_ms, int limit,
                                                  Deadline deadline) {
  Lease lease(pool_, "find");
  auto coll = lease.collection(kCollection);
  BsonPtr filter(BCON_NEW("phase", "{", "$ne", BCON_UTF8("done"), "}", "updated_at", "{", "$lt",
                          BCON_DATE_TIME(before_ms), "}"));
  BsonPtr opts(
      BCON_NEW("limit", BCON_INT64(limit), "maxTimeMS", BCON_INT64(deadline.remaining_ms())));
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::vector<Order> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) out.push_back(parse_order(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  return out;
}

Result<bool> MongoOrderStore::claim(std::string_view id, std::int64_t seen_ms, std::int64_t now,
                                    Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  auto filter = by_id(id);
  BSON_APPEND_DATE_TIME(filter.get(), "updated_at", seen_ms);
  BsonPtr update(BCON_NEW("$set", "{", "updated_at", BCON_DATE_TIME(now), "}"));
  return lease.modify_one(coll.get(), filter.get(), update.get(), deadline);
}

Status MongoOrderStore::for_each(const std::function<void(const Order&)>& visit,
                                 Deadline deadline) {
  Lease lease(pool_, "find");
  auto coll = lease.collection(kCollection);
  bson_t filter = BSON_INITIALIZER;
  auto opts = max_time_opts(deadline);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), &filter, opts.get(), nullptr));
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) visit(parse_order(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) return lease.fail(error);
  return ok_status();
}

Result<bool> MongoLeaseStore::acquire(std::string_view name, std::string_view owner,
                                      std::chrono::milliseconds ttl, Deadline deadline) {
  Lease lease(pool_, "find_and_modify");
  auto coll = lease.collection(kCollection);
  const std::int64_t now = now_ms();
  const std::string owner_s(owner);
  // Renew ours or take an expired one: one conditional update.
  BsonPtr filter(bson_new());
  append_utf8(filter.get(), "_id", name);
  bson_t any, mine, expired;
  BSON_APPEND_ARRAY_BEGIN(filter.get(), "$or", &any);
  BSON_APPEND_DOCUMENT_BEGIN(&any, "0", &mine);
  append_utf8(&mine, "owner", owner);
  bson_append_document_end(&any, &mine);
  BSON_APPEND_DOCUMENT_BEGIN(&any, "1", &expired);
  BCON_APPEND(&expired, "expires_at", "{", "$lt", BCON_DATE_TIME(now), "}");
  bson_append_document_end(&any, &expired);
  bson_append_array_end(filter.get(), &any);
  BsonPtr update(BCON_NEW("$set", "{", "owner", BCON_UTF8(owner_s.c_str()), "expires_at",
                          BCON_DATE_TIME(now + ttl.count()), "}"));
  auto taken = lease.modify_one(coll.get(), filter.get(), update.get(), deadline);
  if (!taken || *taken) return taken;
  // No such lease yet, or a live one of another owner: only an insert of the
  // first lease can succeed (a live one makes it collide on _id, which is
  // the normal "not ours" answer, not an error).
  BsonPtr doc(bson_new());
  append_utf8(doc.get(), "_id", name);
  append_utf8(doc.get(), "owner", owner);
  BSON_APPEND_DATE_TIME(doc.get(), "expires_at", now + ttl.count());
  bson_error_t error;
  Reply reply;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, &reply.doc, &error)) return true;
  if (error.code == 11000) return false;
  return lease.fail(error);
}

}  // namespace storefront::store
