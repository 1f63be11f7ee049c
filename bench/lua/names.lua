-- GET /{collection}/users/{name} with a random existing name ly0..ly{N-1}
-- (the names `storefront fill` creates): the indexed lookup by name.
--   BENCH_COLLECTION (helloDoc), BENCH_NAMES (1000)
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done

local prefix = "/" .. (os.getenv("BENCH_COLLECTION") or "helloDoc") .. "/users/ly"
local names = tonumber(os.getenv("BENCH_NAMES") or "1000")

function init(args)
  report.seed()
end

function request()
  return wrk.format("GET", prefix .. math.random(0, names - 1))
end
