-- Sale day over BENCH_PRODUCTS SKUs (issue 13 section 3), through the gateway:
--   75% catalog reads (browsing: product pages, category pages, categories)
--   15% GET /catalog/products/{random sku}/stock
--   10% POST /orders of one unit of a random SKU, with an Idempotency-Key
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
local shop = require("shop")
setup, done = report.setup, report.done

function init(args)
  report.seed()
end

function request()
  local r = math.random(100)
  if r <= 75 then
    return shop.browse()
  elseif r <= 90 then
    return shop.stock_check()
  end
  return shop.order(shop.random_sku())
end
