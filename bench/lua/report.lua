-- Shared by the bench/lua scripts: thread numbering, unique users to POST and
-- a machine-readable summary line that bench/run parses ("BENCH_JSON {...}").
--
--   package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
--   local report = require("report")
--   setup, done = report.setup, report.done
local M = {}

local threads = 0

-- Gives every wrk thread a number (global `tid` in its Lua state).
function M.setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

-- Seeds math.random differently per thread and per run.
function M.seed()
  local salt = tonumber(os.getenv("BENCH_SEED") or "0") or 0
  math.randomseed(os.time() + salt * 7919 + (tonumber(tid) or 0) * 104729)
  for _ = 1, 10 do math.random() end
end

-- POST of a user with a name unique across threads and runs:
-- "bench-<BENCH_RUN_ID>-<thread>-<n>" (bench/run deletes them afterwards).
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local json = { ["Content-Type"] = "application/json" }
local posted = 0
function M.post_new_user(path)
  posted = posted + 1
  local body = string.format('{"age": %d, "name": "bench-%s-%d-%d"}', posted % 100, run,
                             tid or 0, posted)
  return wrk.format("POST", path, json, body)
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end

return M
