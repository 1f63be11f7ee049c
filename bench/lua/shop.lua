-- Shared by the catalog and order scripts: the requests of a shopper over the
-- BENCH_PRODUCTS SKUs `storefront fill --products N --stock U` creates.
--
--   package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
--   local shop = require("shop")
local M = {}

local products = tonumber(os.getenv("BENCH_PRODUCTS") or "1000")
local categories = {"phones", "tablets", "laptops", "watches", "headphones", "accessories"}

function M.random_sku(n)
  return string.format("sku-%05d", math.random(0, (n or products) - 1))
end

-- Browsing: 70% product pages, 20% category pages, 10% the categories.
function M.browse()
  local r = math.random(100)
  if r <= 70 then
    return wrk.format("GET", "/catalog/products/" .. M.random_sku())
  elseif r <= 90 then
    return wrk.format("GET", "/catalog/products?category=" .. categories[math.random(#categories)] ..
                             "&limit=20")
  end
  return wrk.format("GET", "/catalog/categories")
end

-- The stock of a product page's "add to cart" button (read from the primary, never cached).
function M.stock_check()
  return wrk.format("GET", "/catalog/products/" .. M.random_sku() .. "/stock")
end

-- POST /orders of one unit of `sku`, with an Idempotency-Key unique across threads
-- and runs ("bench-<BENCH_RUN_ID>-<thread>-<n>"), as a checkout sends it.
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local ordered = 0
function M.order(sku)
  ordered = ordered + 1
  local key = string.format("bench-%s-%d-%d", run, tid or 0, ordered)
  local body = string.format('{"customer_id": "bench-%d", "items": [{"sku": "%s", "quantity": 1}]}',
                             tid or 0, sku)
  return wrk.format("POST", "/orders", {["Content-Type"] = "application/json",
                                        ["Idempotency-Key"] = key}, body)
end

return M
