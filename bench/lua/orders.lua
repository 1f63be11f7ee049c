-- POST /orders, one unit of one SKU per order, each with a new Idempotency-Key:
--   BENCH_ORDER_SKUS=1     every order buys sku-00000 (the hot SKU of a sale)
--   BENCH_ORDER_SKUS=1000  a random SKU of the catalog
-- The SKUs need stock (`storefront fill --products N --stock U`); bench/run runs
-- `storefront audit` afterwards.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
local shop = require("shop")
setup, done = report.setup, report.done

local skus = tonumber(os.getenv("BENCH_ORDER_SKUS") or "1")

function init(args)
  report.seed()
end

function request()
  return shop.order(shop.random_sku(skus))
end
