-- A shopper browsing the catalog over BENCH_PRODUCTS SKUs:
--   70% GET /catalog/products/{random sku}              (product pages)
--   20% GET /catalog/products?category={random}&limit=20  (category pages)
--   10% GET /catalog/categories
-- The categories are the ones `storefront fill --products` writes.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "1000")
local categories = {"phones", "tablets", "laptops", "watches", "headphones", "accessories"}

function init(args)
  report.seed()
end

function request()
  local r = math.random(100)
  if r <= 70 then
    return wrk.format("GET", string.format("/catalog/products/sku-%05d", math.random(0, products - 1)))
  elseif r <= 90 then
    return wrk.format("GET", "/catalog/products?category=" .. categories[math.random(#categories)] ..
                             "&limit=20")
  end
  return wrk.format("GET", "/catalog/categories")
end
