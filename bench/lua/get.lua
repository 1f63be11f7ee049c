-- Plain GET of the URL's path (wrk's default request), with the summary line.
package.path = (os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/?.lua;" .. package.path
local report = require("report")
setup, done = report.setup, report.done
