#include "api/orders_api.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <ctime>

#include "api/stock_api.hpp"
#include "common/json_writer.hpp"
#include "obs/metrics.hpp"

namespace storefront::api {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using store::Placed;

struct OrdersApi::Metrics {
  explicit Metrics(obs::Registry& registry)
      : results(registry.counter("storefront_orders_total", "POST /orders answers by result.",
                                 {"result"})),
        duration(registry
                     .histogram("storefront_order_duration_seconds",
                                "Server-side handling time of POST /orders.")
                     .with({})),
        cancellations(registry
                          .counter("storefront_order_cancellations_total",
                                   "Orders cancelled by POST /orders/{id}/cancel.")
                          .with({})) {
    // Every result exists from the start, so rates and ratios are 0, not empty.
    for (auto r : {"confirmed", "insufficient", "replayed", "in_progress", "invalid", "failed"}) {
      results.with({r});
    }
  }
  obs::Family<obs::Counter>& results;
  obs::Histogram& duration;
  obs::Counter& cancellations;
};

namespace {

void append_money(JsonWriter& w, std::int64_t amount, const std::string& currency) {
  w.begin_object();
  w.key("amount");
  w.number(amount);
  w.key("currency");
  w.string(currency);
  w.end_object();
}

// The catalog's price of a product JSON: {"price": {"amount", "currency"}}.
std::optional<store::OrderItem> priced(const std::string& product_json, const OrderLine& line) {
  boost::system::error_code ec;
  auto v = json::parse(product_json, ec);
  const auto* price = ec || !v.is_object() ? nullptr : v.get_object().if_contains("price");
  if (!price || !price->is_object()) return std::nullopt;
  const auto* amount = price->get_object().if_contains("amount");
  const auto* currency = price->get_object().if_contains("currency");
  if (!amount || !amount->is_int64() || !currency || !currency->is_string()) return std::nullopt;
  return store::OrderItem{line.sku, line.quantity, amount->get_int64(),
                          std::string(currency->get_string())};
}

}  // namespace

// The catalog's answers for an order's items, one lookup after the other: an
// order holds at most one worker task at a time (a 50-item order must not
// take 50 slots of the in-flight limit at once).
struct OrdersApi::Pricing {
  OrderInput input;
  std::optional<std::string> key;
  std::vector<store::Served> answers;
};

http::Response order_not_found(const std::string& id) {
  return error_response(404, fmt::format("Order {} not found", id));
}

std::string iso8601_ms(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, ms % 1000);
}

std::string order_json(const store::Order& order, const char* status) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.key("id");
  w.string(order.id);
  w.key("status");
  w.string(status ? status : store::to_string(order.status));
  w.key("customer_id");
  w.string(order.customer_id);
  w.key("items");
  w.begin_array();
  for (const auto& item : order.items) {
    w.begin_object();
    w.key("sku");
    w.string(item.sku);
    w.key("quantity");
    w.number(item.quantity);
    w.key("unit_price");
    append_money(w, item.unit_amount, item.currency);
    w.end_object();
  }
  w.end_array();
  w.key("total");
  append_money(w, order.total_amount, order.currency);
  w.key("created_at");
  w.string(iso8601_ms(order.created_at_ms));
  w.end_object();
  return out;
}

OrdersApi::OrdersApi(Responder& responder, store::OrderFlow& flow, store::Catalog& catalog,
                     obs::Registry& registry, int retry_after_s)
    : responder_(responder),
      flow_(flow),
      catalog_(catalog),
      metrics_(std::make_shared<Metrics>(registry)),
      retry_after_s_(retry_after_s) {}

void OrdersApi::finish_order(const ExchangePtr& ex, http::Response&& res, const char* result) {
  metrics_->results.with({result}).inc();
  metrics_->duration.observe(std::chrono::duration<double>(Clock::now() - ex->started).count());
  responder_.finish(ex, std::move(res));
}

void OrdersApi::fail_order(const ExchangePtr& ex, const Error& error) {
  metrics_->results.with({"failed"}).inc();
  metrics_->duration.observe(std::chrono::duration<double>(Clock::now() - ex->started).count());
  responder_.fail(ex, error);
}

void OrdersApi::create(const ExchangePtr& ex, const http::Request& request) {
  std::optional<std::string> key;
  if (auto it = request.find("Idempotency-Key"); it != request.end()) {
    key = std::string(it->value());
    if (auto invalid = idempotency_key_errors(*key)) {
      return finish_order(ex, validation_response(invalid->detail_json), "invalid");
    }
  }
  auto parsed = parse_order(request.body());
  if (auto* invalid = std::get_if<ValidationErrors>(&parsed)) {
    return finish_order(ex, validation_response(invalid->detail_json), "invalid");
  }
  price_and_place(ex, std::get<OrderInput>(std::move(parsed)), std::move(key));
}

void OrdersApi::price_and_place(const ExchangePtr& ex, OrderInput input,
                                std::optional<std::string> key) {
  look_up(ex, std::make_shared<Pricing>(Pricing{std::move(input), std::move(key), {}}));
}

void OrdersApi::look_up(const ExchangePtr& ex, const std::shared_ptr<Pricing>& pricing) {
  const std::size_t i = pricing->answers.size();
  if (i == pricing->input.items.size()) return priced_all(ex, *pricing);
  catalog_.product(ex->call(), pricing->input.items[i].sku,
                   [this, ex, pricing](Result<store::Served> served) {
                     if (!served) return fail_order(ex, served.error());
                     pricing->answers.push_back(std::move(served).value());
                     look_up(ex, pricing);
                   });
}

void OrdersApi::priced_all(const ExchangePtr& ex, const Pricing& pricing) {
  store::PlaceRequest request{pricing.key, pricing.input.hash, pricing.input.customer_id, {}};
  std::vector<std::pair<std::size_t, std::string>> unknown;
  for (std::size_t i = 0; i < pricing.answers.size(); ++i) {
    const auto& json = *pricing.answers[i].json;
    const auto& line = pricing.input.items[i];
    auto item = json.empty() ? std::nullopt : priced(json, line);
    if (!item) {
      unknown.emplace_back(i, line.sku);
      continue;
    }
    request.items.push_back(std::move(*item));
  }
  if (!unknown.empty()) {
    return finish_order(ex, validation_response(unknown_sku_errors(unknown).detail_json),
                        "invalid");
  }
  if (auto invalid = priced_items_errors(request.items)) {
    return finish_order(ex, validation_response(invalid->detail_json), "invalid");
  }
  place(ex, std::move(request));
}

void OrdersApi::place(const ExchangePtr& ex, store::PlaceRequest request) {
  responder_.offload(ex, [this, request = std::move(request)](const ExchangePtr& ex) {
    auto placed = flow_.place(request, ex->deadline);
    if (!placed) return fail_order(ex, placed.error());
    answer_placed(ex, *placed);
  });
}

void OrdersApi::answer_placed(const ExchangePtr& ex, const Placed& placed) {
  const auto& order = placed.order;
  switch (placed.result) {
    case Placed::Result::kCreated:
      return finish_order(ex, make_response(201, order_json(order)), "confirmed");
    case Placed::Result::kInsufficient: {
      const auto& r = *order.rejection;
      return finish_order(ex, insufficient_response(r.sku, r.requested, r.available),
                          "insufficient");
    }
    case Placed::Result::kReplayed: {
      // The first answer again: its refusal, or the order as confirmed then.
      auto res = order.rejection
                     ? insufficient_response(order.rejection->sku, order.rejection->requested,
                                             order.rejection->available)
                     : make_response(201, order_json(order, "confirmed"));
      res.set("Idempotent-Replayed", "true");
      return finish_order(ex, std::move(res), "replayed");
    }
    case Placed::Result::kInProgress: {
      auto res = error_response(409, "A request with this Idempotency-Key is still in progress");
      res.set(bhttp::field::retry_after, std::to_string(retry_after_s_));
      return finish_order(ex, std::move(res), "in_progress");
    }
    case Placed::Result::kKeyReused: {
      ErrorList errors;
      errors.add("idempotency_key_reused", {"header", "idempotency-key"},
                 "Idempotency-Key was already used with a different request body",
                 json::value(order.idempotency_key.value_or("")));
      return finish_order(ex, validation_response(errors.done().detail_json), "invalid");
    }
  }
}

void OrdersApi::for_order(const ExchangePtr& ex, const std::string& id, Responder::Job job) {
  if (!valid_order_id(id)) return responder_.finish(ex, order_not_found(id));
  responder_.offload(ex, std::move(job));
}

void OrdersApi::show(const ExchangePtr& ex, const std::string& id) {
  for_order(ex, id, [this, id](const ExchangePtr& ex) {
    auto found = flow_.find(id, ex->deadline);
    if (!found) return responder_.fail(ex, found.error());
    if (!*found) return responder_.finish(ex, order_not_found(id));
    responder_.finish(ex, make_response(200, order_json(**found)));
  });
}

void OrdersApi::cancel(const ExchangePtr& ex, const std::string& id) {
  for_order(ex, id, [this, id](const ExchangePtr& ex) {
    auto cancelled = flow_.cancel(id, ex->deadline);
    if (!cancelled) return responder_.fail(ex, cancelled.error());
    const auto& order = cancelled->order;
    switch (cancelled->result) {
      case store::Cancelled::Result::kNotFound:
        return responder_.finish(ex, order_not_found(id));
      case store::Cancelled::Result::kNotCancellable:
        return responder_.finish(
            ex, error_response(409, fmt::format("Order {} is {} and cannot be cancelled", id,
                                                store::to_string(order.status))));
      case store::Cancelled::Result::kCancelled:
        if (cancelled->by_this_call) metrics_->cancellations.inc();
        return responder_.finish(ex, make_response(200, order_json(order)));
    }
  });
}

}  // namespace storefront::api
