-- POST /{collection}/users with a unique name per request: the write path.
-- Names are "bench-<run>-<thread>-<n>"; bench/run deletes them afterwards.
--   BENCH_COLLECTION (helloDoc), BENCH_RUN_ID (a per-run tag)
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done

local path = "/" .. (os.getenv("BENCH_COLLECTION") or "helloDoc") .. "/users"
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local headers = { ["Content-Type"] = "application/json" }
local n = 0

function init(args)
  report.seed()
end

function request()
  n = n + 1
  local body = string.format('{"age": %d, "name": "bench-%s-%d-%d"}', n % 100, run, tid or 0, n)
  return wrk.format("POST", path, headers, body)
end
