// direct_bench: the queries storefront makes for GET /{c}/users/{name},
// GET /{c}/count and the stock updates of POST /orders, issued straight through
// libmongoc in a loop, to measure what storefront adds on top of the driver
// (bench/run compares both in one run).
//
//   direct_bench --uri mongodb://127.0.0.1:27017 --db somedb --coll helloDoc
//                --op find|count|cleanup|stock-setup|reserve|order [--threads 1]
//                [--duration 10] [--names 1000] [--stock 100000000]
//
// find:    find({name: "ly<random>"}, {limit: 1, batchSize: 1, singleBatch: true, maxTimeMS,
//          projection {_id, age, name}}) and one cursor_next (as MongoStore::find_user_json)
// count:   count_documents({}, {maxTimeMS}) (as MongoStore::count)
// cleanup: delete_many({name: /^bench-/}) (the users bench/lua/post.lua and mixed.lua create)
// stock-setup: replaces --names stock documents sku-00000.. in --coll with
//          {available: --stock, reserved: 0, sold: 0, added: --stock, pending: []} and
//          creates the unique sparse idempotency_key index of --coll + "_orders"
// reserve: per operation, one unit of a random SKU of --names (1: the hot SKU) for a new
//          order id, the two conditional updates of the two-phase order:
//          findAndModify({_id, available: {$gte: q}, pending: {$ne: id}},
//                        {$inc: {available: -q, reserved: q}, $push: {pending: id}})
//          findAndModify({_id, pending: id}, {$inc: {reserved: -q, sold: q}, $pull: {pending: id}})
// order:   reserve plus the order document's steps around it, in --coll + "_orders", as
//          storefront's POST /orders makes them (src/store/order_flow.cpp): insert pending,
//          reserve, -> confirmed (commit point), confirm, -> done; 5 round trips per order
// The stock ops write with w: majority and retryable writes, as storefront does; bench/run
// points them at their own collections so `storefront audit` of the real ones stays exact.
//
// Prints one JSON line: ops, errors, ops_per_s and latency percentiles in µs.
// Written against the C API only, so it also builds with a plain
//   c++ -O2 -std=c++20 direct_bench.cpp $(pkg-config --cflags --libs libmongoc-1.0) -pthread
#include <mongoc/mongoc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string uri = "mongodb://127.0.0.1:27017";
  std::string db = "somedb";
  std::string coll = "helloDoc";
  std::string op = "find";
  int threads = 1;
  double duration_s = 10;
  int names = 1000;
  std::int64_t stock = 100000000;
  std::int64_t max_time_ms = 5000;
};

struct ThreadResult {
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t errors = 0;
  std::uint64_t not_found = 0;  // find: no such name; reserve/order: the SKU was short
  std::string last_error;
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "direct_bench: %s\nusage: direct_bench --uri URI --db DB --coll C "
               "--op find|count|cleanup|stock-setup|reserve|order [--threads N] [--duration S] "
               "[--names N] [--stock U]\n",
               msg);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--uri")
      o.uri = value();
    else if (a == "--db")
      o.db = value();
    else if (a == "--coll")
      o.coll = value();
    else if (a == "--op")
      o.op = value();
    else if (a == "--threads")
      o.threads = std::atoi(value().c_str());
    else if (a == "--duration")
      o.duration_s = std::atof(value().c_str());
    else if (a == "--names")
      o.names = std::atoi(value().c_str());
    else if (a == "--stock")
      o.stock = std::atoll(value().c_str());
    else
      usage(("unknown argument " + a).c_str());
  }
  static const char* const ops[] = {"find", "count", "cleanup", "stock-setup", "reserve", "order"};
  if (std::none_of(std::begin(ops), std::end(ops), [&](const char* op) { return o.op == op; }))
    usage("bad --op");
  if (o.stock < 1) usage("bad --stock");
  if (o.threads < 1 || o.threads > 1024) usage("bad --threads");
  if (o.duration_s <= 0 || o.duration_s > 600) usage("--duration must be in (0, 600]");
  if (o.names < 1) usage("bad --names");
  return o;
}

// One find_one by name, as MongoStore::find_user_json does it.
bool find_one(mongoc_collection_t* coll, const std::string& name, std::int64_t max_time_ms,
              bool* found, bson_error_t* error) {
  bson_t filter = BSON_INITIALIZER;
  bson_append_utf8(&filter, "name", 4, name.data(), static_cast<int>(name.size()));
  bson_t* opts = BCON_NEW("limit", BCON_INT64(1), "batchSize", BCON_INT64(1), "singleBatch",
                          BCON_BOOL(true), "maxTimeMS", BCON_INT64(max_time_ms), "projection", "{",
                          "_id", BCON_INT32(1), "age", BCON_INT32(1), "name", BCON_INT32(1), "}");
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, &filter, opts, nullptr);
  const bson_t* doc = nullptr;
  *found = mongoc_cursor_next(cursor, &doc);
  const bool ok = !mongoc_cursor_error(cursor, error);
  mongoc_cursor_destroy(cursor);
  bson_destroy(opts);
  bson_destroy(&filter);
  return ok;
}

// One count_documents({}), as MongoStore::count does it.
bool count(mongoc_collection_t* coll, std::int64_t max_time_ms, bson_error_t* error) {
  bson_t filter = BSON_INITIALIZER;
  bson_t* opts = BCON_NEW("maxTimeMS", BCON_INT64(max_time_ms));
  bson_t reply;
  const std::int64_t n =
      mongoc_collection_count_documents(coll, &filter, opts, nullptr, &reply, error);
  bson_destroy(&reply);
  bson_destroy(opts);
  return n >= 0;
}

// "value" of a findAndModify reply: the document before the update, null when the
// filter matched nothing.
bool matched(const bson_t* reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply, "value") && BSON_ITER_HOLDS_DOCUMENT(&it);
}

bool find_and_modify(mongoc_collection_t* coll, const bson_t* query, const bson_t* update,
                     std::int64_t max_time_ms, bool* hit, bson_error_t* error) {
  mongoc_find_and_modify_opts_t* opts = mongoc_find_and_modify_opts_new();
  mongoc_find_and_modify_opts_set_update(opts, update);
  mongoc_find_and_modify_opts_set_max_time_ms(opts, static_cast<std::uint32_t>(max_time_ms));
  bson_t reply;
  const bool ok = mongoc_collection_find_and_modify_with_opts(coll, query, opts, &reply, error);
  *hit = ok && matched(&reply);
  bson_destroy(&reply);
  mongoc_find_and_modify_opts_destroy(opts);
  return ok;
}

// Phase 1: take q units for order `id` unless they are short or this order holds them already.
bool reserve(mongoc_collection_t* stock, const std::string& sku, const std::string& id,
             std::int64_t q, std::int64_t max_time_ms, bool* hit, bson_error_t* error) {
  bson_t* query = BCON_NEW("_id", BCON_UTF8(sku.c_str()), "available", "{", "$gte", BCON_INT64(q),
                           "}", "pending", "{", "$ne", BCON_UTF8(id.c_str()), "}");
  bson_t* update = BCON_NEW("$inc", "{", "available", BCON_INT64(-q), "reserved", BCON_INT64(q),
                            "}", "$push", "{", "pending", BCON_UTF8(id.c_str()), "}");
  const bool ok = find_and_modify(stock, query, update, max_time_ms, hit, error);
  bson_destroy(update);
  bson_destroy(query);
  return ok;
}

// Phase 2: the reserved units of order `id` become sold, once.
bool confirm(mongoc_collection_t* stock, const std::string& sku, const std::string& id,
             std::int64_t q, std::int64_t max_time_ms, bson_error_t* error) {
  bson_t* query = BCON_NEW("_id", BCON_UTF8(sku.c_str()), "pending", BCON_UTF8(id.c_str()));
  bson_t* update = BCON_NEW("$inc", "{", "reserved", BCON_INT64(-q), "sold", BCON_INT64(q), "}",
                            "$pull", "{", "pending", BCON_UTF8(id.c_str()), "}");
  bool hit = false;
  const bool ok = find_and_modify(stock, query, update, max_time_ms, &hit, error);
  bson_destroy(update);
  bson_destroy(query);
  return ok;
}

// The order document around the stock updates (op "order"), as src/store/mongo_order_store.cpp
// writes it: recorded pending before the stock moves (under the unique idempotency_key
// index), so a crash between the steps leaves something for the sweep to find.
bool insert_order(mongoc_collection_t* orders, const std::string& id, const std::string& sku,
                  bson_error_t* error) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  bson_t* doc = BCON_NEW("_id", BCON_UTF8(id.c_str()), "idempotency_key", BCON_UTF8(id.c_str()),
                         "request_hash", BCON_UTF8("0123456789abcdef0123456789abcdef"),
                         "customer_id", BCON_UTF8("direct-bench"), "items", "[", "{", "sku",
                         BCON_UTF8(sku.c_str()), "quantity", BCON_INT64(1), "unit_price", "{",
                         "amount", BCON_INT64(999), "currency", BCON_UTF8("USD"), "}", "}", "]",
                         "total", "{", "amount", BCON_INT64(999), "currency", BCON_UTF8("USD"), "}",
                         "status", BCON_UTF8("pending"), "phase", BCON_UTF8("reserving"),
                         "created_at", BCON_DATE_TIME(now), "updated_at", BCON_DATE_TIME(now));
  const bool ok = mongoc_collection_insert_one(orders, doc, nullptr, nullptr, error);
  bson_destroy(doc);
  return ok;
}

// One conditional step of the order document: {_id, status, phase} -> the next ones.
bool transition(mongoc_collection_t* orders, const std::string& id, const char* from_status,
                const char* from_phase, const char* to_status, const char* to_phase,
                std::int64_t max_time_ms, bson_error_t* error) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  bson_t* query = BCON_NEW("_id", BCON_UTF8(id.c_str()), "status", BCON_UTF8(from_status), "phase",
                           BCON_UTF8(from_phase));
  bson_t* update = BCON_NEW("$set", "{", "status", BCON_UTF8(to_status), "phase",
                            BCON_UTF8(to_phase), "updated_at", BCON_DATE_TIME(now), "}");
  bool hit = false;
  const bool ok = find_and_modify(orders, query, update, max_time_ms, &hit, error);
  bson_destroy(update);
  bson_destroy(query);
  return ok;
}

// The unique sparse index storefront's order store creates (ensure_indexes).
bool ensure_order_index(mongoc_collection_t* orders, bson_error_t* error) {
  bson_t* cmd = BCON_NEW("createIndexes", BCON_UTF8(mongoc_collection_get_name(orders)), "indexes",
                         "[", "{", "key", "{", "idempotency_key", BCON_INT32(1), "}", "name",
                         BCON_UTF8("idempotency_key_1"), "unique", BCON_BOOL(true), "sparse",
                         BCON_BOOL(true), "}", "]");
  const bool ok = mongoc_collection_write_command_with_opts(orders, cmd, nullptr, nullptr, error);
  bson_destroy(cmd);
  return ok;
}

std::string sku_name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "sku-%05d", i);
  return buf;
}

// One order of one unit: reserve + confirm, and for op "order" the order document's steps
// around them in the order src/store/order_flow.cpp makes them: insert (pending, reserving),
// reserve, -> confirmed/committing (the commit point), confirm, -> confirmed/done.
bool buy_one(mongoc_collection_t* stock, mongoc_collection_t* orders, const std::string& sku,
             const std::string& id, std::int64_t max_time_ms, bool* short_stock,
             bson_error_t* error) {
  if (orders && !insert_order(orders, id, sku, error)) return false;
  bool hit = false;
  if (!reserve(stock, sku, id, 1, max_time_ms, &hit, error)) return false;
  *short_stock = !hit;
  if (!hit) return true;
  if (orders && !transition(orders, id, "pending", "reserving", "confirmed", "committing",
                            max_time_ms, error))
    return false;
  if (!confirm(stock, sku, id, 1, max_time_ms, error)) return false;
  return !orders ||
         transition(orders, id, "confirmed", "committing", "confirmed", "done", max_time_ms, error);
}

int stock_setup(mongoc_client_pool_t* pool, const Options& o) {
  mongoc_client_t* client = mongoc_client_pool_pop(pool);
  mongoc_collection_t* coll = mongoc_client_get_collection(client, o.db.c_str(), o.coll.c_str());
  mongoc_collection_t* orders =
      mongoc_client_get_collection(client, o.db.c_str(), (o.coll + "_orders").c_str());
  bson_t* opts = BCON_NEW("upsert", BCON_BOOL(true));
  bson_error_t error;
  bool ok = ensure_order_index(orders, &error);
  mongoc_collection_destroy(orders);
  for (int i = 0; i < o.names && ok; ++i) {
    const std::string sku = sku_name(i);
    bson_t* query = BCON_NEW("_id", BCON_UTF8(sku.c_str()));
    bson_t* doc = BCON_NEW("available", BCON_INT64(o.stock), "reserved", BCON_INT64(0), "sold",
                           BCON_INT64(0), "added", BCON_INT64(o.stock), "pending", "[", "]");
    ok = mongoc_collection_replace_one(coll, query, doc, opts, nullptr, &error);
    bson_destroy(doc);
    bson_destroy(query);
  }
  if (ok)
    std::printf("{\"op\":\"stock-setup\",\"skus\":%d,\"stock\":%lld}\n", o.names,
                static_cast<long long>(o.stock));
  else
    std::fprintf(stderr, "direct_bench: stock-setup failed: %s\n", error.message);
  bson_destroy(opts);
  mongoc_collection_destroy(coll);
  mongoc_client_pool_push(pool, client);
  return ok ? 0 : 1;
}

int cleanup(mongoc_client_pool_t* pool, const Options& o) {
  mongoc_client_t* client = mongoc_client_pool_pop(pool);
  mongoc_collection_t* coll = mongoc_client_get_collection(client, o.db.c_str(), o.coll.c_str());
  bson_t* filter = BCON_NEW("name", "{", "$regex", BCON_UTF8("^bench-"), "}");
  bson_t reply;
  bson_error_t error;
  const bool ok = mongoc_collection_delete_many(coll, filter, nullptr, &reply, &error);
  std::int64_t deleted = 0;
  bson_iter_t it;
  if (ok && bson_iter_init_find(&it, &reply, "deletedCount")) deleted = bson_iter_as_int64(&it);
  if (ok) {
    std::printf("{\"op\":\"cleanup\",\"deleted\":%lld}\n", static_cast<long long>(deleted));
  } else {
    std::fprintf(stderr, "direct_bench: cleanup failed: %s\n", error.message);
  }
  bson_destroy(&reply);
  bson_destroy(filter);
  mongoc_collection_destroy(coll);
  mongoc_client_pool_push(pool, client);
  return ok ? 0 : 1;
}

// One operation of --op (find, count, reserve, order); false on a driver error.
struct Operation {
  const Options& o;
  mongoc_collection_t* coll;
  mongoc_collection_t* orders;  // op "order" only
  std::string prefix;           // order ids: <prefix><n>, unique per thread and run
  std::uint64_t n = 0;

  bool run(int pick, ThreadResult& r, bson_error_t* e) {
    bool flag = false;
    bool ok;
    if (o.op == "find") {
      ok = find_one(coll, "ly" + std::to_string(pick), o.max_time_ms, &flag, e);
    } else if (o.op == "count") {
      ok = count(coll, o.max_time_ms, e);
      flag = true;
    } else {
      ok = buy_one(coll, orders, sku_name(pick), prefix + std::to_string(n++), o.max_time_ms, &flag,
                   e);
      flag = !flag;  // "not found": the SKU was short
    }
    if (ok && !flag) ++r.not_found;
    return ok;
  }
};

void worker(const Options& o, mongoc_client_pool_t* pool, int t, const std::atomic<bool>& go,
            const Clock::time_point& end, ThreadResult& r) {
  r.latencies_us.reserve(1 << 16);
  mongoc_client_t* client = mongoc_client_pool_pop(pool);
  mongoc_collection_t* coll = mongoc_client_get_collection(client, o.db.c_str(), o.coll.c_str());
  mongoc_collection_t* orders =
      o.op == "order"
          ? mongoc_client_get_collection(client, o.db.c_str(), (o.coll + "_orders").c_str())
          : nullptr;
  const auto stamp = std::chrono::system_clock::now().time_since_epoch().count();
  Operation op{o, coll, orders, "direct-" + std::to_string(stamp) + "-" + std::to_string(t) + "-"};
  std::mt19937_64 rng(std::random_device{}() + static_cast<unsigned>(t));
  std::uniform_int_distribution<int> pick(0, o.names - 1);
  // One untimed call: connection handshake and server selection.
  bson_error_t e;
  ThreadResult untimed;
  op.run(0, untimed, &e);
  while (!go.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (;;) {
    const auto started = Clock::now();
    if (started >= end) break;
    const bool ok = op.run(pick(rng), r, &e);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    if (!ok) {
      ++r.errors;
      r.last_error = e.message;
      continue;
    }
    r.latencies_us.push_back(static_cast<std::uint32_t>(us.count()));
  }
  if (orders) mongoc_collection_destroy(orders);
  mongoc_collection_destroy(coll);
  mongoc_client_pool_push(pool, client);
}

std::uint32_t percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  mongoc_init();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(o.uri.c_str(), &error);
  if (!uri) {
    std::fprintf(stderr, "direct_bench: bad URI: %s\n", error.message);
    return 2;
  }
  // The same defaults storefront sets (src/store/mongo_pool.cpp).
  if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 2000);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_SOCKETTIMEOUTMS))
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, 5000);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_RETRYWRITES))
    mongoc_uri_set_option_as_bool(uri, MONGOC_URI_RETRYWRITES, true);
  if (!mongoc_uri_has_option(uri, MONGOC_URI_W)) {
    mongoc_write_concern_t* wc = mongoc_write_concern_new();
    mongoc_write_concern_set_w(wc, MONGOC_WRITE_CONCERN_W_MAJORITY);
    mongoc_uri_set_write_concern(uri, wc);
    mongoc_write_concern_destroy(wc);
  }
  if (!mongoc_uri_get_appname(uri)) mongoc_uri_set_appname(uri, "direct_bench");
  mongoc_client_pool_t* pool = mongoc_client_pool_new(uri);
  mongoc_uri_destroy(uri);
  mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_max_size(pool, static_cast<std::uint32_t>(std::max(o.threads, 1)));

  if (o.op == "cleanup" || o.op == "stock-setup") {
    const int rc = o.op == "cleanup" ? cleanup(pool, o) : stock_setup(pool, o);
    mongoc_client_pool_destroy(pool);
    mongoc_cleanup();
    return rc;
  }

  std::vector<ThreadResult> results(static_cast<std::size_t>(o.threads));
  std::atomic<bool> go{false};
  Clock::time_point end;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back(
        [&, t] { worker(o, pool, t, go, end, results[static_cast<std::size_t>(t)]); });
  }
  // Give every thread time to connect before the clock starts.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto started = Clock::now();
  end = started +
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();

  std::vector<std::uint32_t> all;
  std::uint64_t errors = 0, not_found = 0;
  double sum = 0;
  std::string last_error;
  for (const auto& r : results) {
    all.insert(all.end(), r.latencies_us.begin(), r.latencies_us.end());
    errors += r.errors;
    not_found += r.not_found;
    if (!r.last_error.empty()) last_error = r.last_error;
  }
  for (auto v : all) sum += v;
  std::sort(all.begin(), all.end());
  const double mean = all.empty() ? 0 : sum / static_cast<double>(all.size());
  std::printf(
      "{\"op\":\"%s\",\"threads\":%d,\"ops\":%zu,\"errors\":%llu,\"not_found\":%llu,"
      "\"duration_s\":%.3f,\"ops_per_s\":%.1f,\"mean_us\":%.1f,\"p50_us\":%u,\"p90_us\":%u,"
      "\"p99_us\":%u,\"max_us\":%u}\n",
      o.op.c_str(), o.threads, all.size(), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(not_found), elapsed,
      static_cast<double>(all.size()) / elapsed, mean, percentile(all, 50), percentile(all, 90),
      percentile(all, 99), all.empty() ? 0u : all.back());
  if (!last_error.empty())
    std::fprintf(stderr, "direct_bench: last error: %s\n", last_error.c_str());
  mongoc_client_pool_destroy(pool);
  mongoc_cleanup();
  return errors ? 1 : 0;
}
