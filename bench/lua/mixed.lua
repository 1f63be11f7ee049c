-- Sale-day mix: 90% reads, 10% writes.
--   50% GET /{c}/users/{random name}   (product page)
--   30% GET /{c}/users                 (catalogue, cached; every write invalidates it)
--   10% GET /{c}/count
--   10% POST /{c}/users with a unique name (order)
--   BENCH_COLLECTION (helloDoc), BENCH_NAMES (1000), BENCH_RUN_ID
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done

local base = "/" .. (os.getenv("BENCH_COLLECTION") or "helloDoc")
local names = tonumber(os.getenv("BENCH_NAMES") or "1000")

function init(args)
  report.seed()
end

function request()
  local r = math.random(100)
  if r <= 50 then
    return wrk.format("GET", base .. "/users/ly" .. math.random(0, names - 1))
  elseif r <= 80 then
    return wrk.format("GET", base .. "/users")
  elseif r <= 90 then
    return wrk.format("GET", base .. "/count")
  end
  return report.post_new_user(base .. "/users")
end
