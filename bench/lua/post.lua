-- POST /{collection}/users with a unique name per request: the write path.
-- Names are "bench-<run>-<thread>-<n>"; bench/run deletes them afterwards.
--   BENCH_COLLECTION (helloDoc), BENCH_RUN_ID (a per-run tag)
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done

local path = "/" .. (os.getenv("BENCH_COLLECTION") or "helloDoc") .. "/users"

function init(args)
  report.seed()
end

function request()
  return report.post_new_user(path)
end
