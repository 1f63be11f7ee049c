-- A shopper browsing the catalog over BENCH_PRODUCTS SKUs:
--   70% GET /catalog/products/{random sku}              (product pages)
--   20% GET /catalog/products?category={random}&limit=20  (category pages)
--   10% GET /catalog/categories
-- The categories are the ones `storefront fill --products` writes.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
local shop = require("shop")
setup, done = report.setup, report.done

function init(args)
  report.seed()
end

function request()
  return shop.browse()
end
