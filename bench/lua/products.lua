-- GET /catalog/products/{sku} with a random SKU sku-00000..sku-{N-1} (the ones
-- `storefront fill --products N` creates): product pages.
--   BENCH_PRODUCTS (1000)
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
local shop = require("shop")
setup, done = report.setup, report.done

function init(args)
  report.seed()
end

function request()
  return wrk.format("GET", "/catalog/products/" .. shop.random_sku())
end
