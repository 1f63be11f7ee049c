#pragma once

// The Api without sockets: fake stores and a fake cache behind the real
// handlers, a real worker pool, and requests handed straight to handle().
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "api/handlers.hpp"
#include "common/offloader.hpp"
#include "common/worker_pool.hpp"
#include "fakes/fake_cache.hpp"
#include "fakes/fake_order_stores.hpp"
#include "fakes/fake_stores.hpp"
#include "obs/metrics.hpp"

namespace storefront::api {

struct Answer {
  unsigned status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class ApiHarness {
 public:
  explicit ApiHarness(std::string admin_token = "s3cret", bool cached = true)
      : ApiHarness([](ApiOptions&) {}, 0, std::move(admin_token), cached) {}
  // `tune` adjusts the options; `max_in_flight` is the offloader's limit.
  ApiHarness(const std::function<void(ApiOptions&)>& tune, std::size_t max_in_flight,
             std::string admin_token = "s3cret", bool cached = true)
      : offloader{pool, {}, max_in_flight} {
    ApiOptions options;
    tune(options);
    options.catalog.admin_token = std::move(admin_token);
    options.catalog.max_age = std::chrono::seconds(30);
    store::Catalog& catalog = cached ? static_cast<store::Catalog&>(cache) : direct_catalog;
    api = std::make_unique<Api>(
        options, ApiDeps{users, catalog, user_store, offloader, metrics,
                         [this] { return registry.render(); }, StaticFiles{},
                         cached ? &cache : nullptr, nullptr, [] { return false; }, &orders_deps});
  }

  Answer call(boost::beast::http::verb method, const std::string& target,
              const std::string& body = "",
              const std::map<std::string, std::string>& headers = {}) {
    http::Request request{method, target, 11};
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    auto promise = std::make_shared<std::promise<http::Response>>();
    auto future = promise->get_future();
    api->handle(std::move(request), http::ConnectionInfo{},
                [promise](http::Response&& res) { promise->set_value(std::move(res)); });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return {};
    auto res = future.get();
    Answer out;
    out.status = res.result_int();
    out.body = std::string(res.body().view());
    for (const auto& field : res) out.headers[std::string(field.name_string())] = field.value();
    return out;
  }
  Answer get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return call(boost::beast::http::verb::get, target, "", headers);
  }
  Answer post(const std::string& target, const std::string& body,
              const std::map<std::string, std::string>& headers = {}) {
    return call(boost::beast::http::verb::post, target, body, headers);
  }

  fakes::FakeUserStore user_store;
  fakes::FakeProductStore products;
  WorkerPool pool{2, 64};
  Offloader offloader{pool};
  store::DirectUsers users{user_store, offloader, 1000};
  store::DirectCatalog direct_catalog{products, offloader};
  fakes::FakeCatalogCache cache{direct_catalog};
  obs::Registry registry;
  obs::HttpMetrics metrics{registry};
  fakes::FakeStockStore stock;
  fakes::FakeOrderStore orders;
  store::OrderFlow flow{stock, orders, registry};
  OrdersDeps orders_deps{stock, flow, registry};
  std::unique_ptr<Api> api;
};

}  // namespace storefront::api
