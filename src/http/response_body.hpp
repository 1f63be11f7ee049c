#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace storefront::http {

// A Beast response body that either owns its bytes or shares them with a
// cache entry, so a cache hit is written without copying the cached body.
struct ResponseBody {
  struct value_type {
    std::string owned;
    std::shared_ptr<const std::string> shared;

    std::string_view view() const {
      return shared ? std::string_view(*shared) : std::string_view(owned);
    }
    value_type& operator=(std::string s) {
      owned = std::move(s);
      shared.reset();
      return *this;
    }
    value_type& operator=(std::shared_ptr<const std::string> s) {
      shared = std::move(s);
      owned.clear();
      return *this;
    }
  };

  static std::uint64_t size(const value_type& body) { return body.view().size(); }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
        : body_(body) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      const auto bytes = body_.view();
      return {{const_buffers_type(bytes.data(), bytes.size()), false}};
    }

   private:
    const value_type& body_;
  };
};

}  // namespace storefront::http
