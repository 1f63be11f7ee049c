-- GET /catalog/products/{sku} with a random SKU sku-00000..sku-{N-1} (the ones
-- `storefront fill --products N` creates): product pages.
--   BENCH_PRODUCTS (1000)
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "1000")

function init(args)
  report.seed()
end

function request()
  return wrk.format("GET", string.format("/catalog/products/sku-%05d", math.random(0, products - 1)))
end
