-- wrk script: POST a different body with each request, from a file of pre-made bodies, each
-- sent once (single-use values such as authorization codes).
--
--   WRK_BODIES=FILE WRK_BODIES_THREADS=N wrk -tN -dLIMIT ... -s bench/wrk_bodies.lua URL
--
-- FILE holds one form body per line (application/x-www-form-urlencoded). wrk's thread i of N
-- takes lines i+1, i+1+N, i+1+2N, ... (so N must be wrk's -t), in order, each once. When a
-- thread has sent all its lines, its connections send nothing more (request() returns an empty
-- string, which wrk writes as zero bytes and then waits on), and the thread stops when the last
-- of its responses is in: requests beyond the list are not sent.
--
-- wrk's main thread sleeps for all of -d whatever its threads do, so its Requests/sec is the
-- responses over -d, not over the time the bodies took. This script therefore times the run
-- itself (monotonic clock, through LuaJIT's ffi): from the first request sent to the last
-- response received, over all threads. And each thread, once done, creates FILE.done.<i>: the
-- caller can send wrk SIGINT when all N exist, which ends wrk's sleep early (it then prints its
-- report as usual). done() prints one line for the caller:
--
--   wrk_bodies: bodies=M sent=S responses=R not_sent=K seconds=T
--
-- not_sent: times a connection asked for a body after its thread's list ran out (each such
-- request is simply not sent). wrk calls request() once in thread 0's state before the run, to
-- check the request; that call is given the first body without using it up.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } wrk_bodies_timespec;
int clock_gettime(int clock_id, wrk_bodies_timespec *tp);
]]
local ts = ffi.new("wrk_bodies_timespec")
local function now()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local bodies = {}
local next_body = 1
local checked = false
local finished = false
local path
-- Read back by done() through thread:get, so global.
sent, responses, not_sent, total, first_sent, last_response = 0, 0, 0, 0, -1, -1

function init(args)
   path = os.getenv("WRK_BODIES")
   if not path then error("WRK_BODIES is not set") end
   local nthreads = tonumber(os.getenv("WRK_BODIES_THREADS") or "1")
   local n = 0
   for line in io.lines(path) do
      if line ~= "" then
         if n % nthreads == id then table.insert(bodies, line) end
         n = n + 1
      end
   end
   total = n
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

local function finish()
   if not finished then
      finished = true
      local f = io.open(path .. ".done." .. id, "w")
      if f then f:close() end
   end
   -- Again at each call: a stop asked for before the thread's loop runs (an empty share, seen
   -- by wrk's check of the request) is forgotten when the loop starts.
   wrk.thread:stop()
end

function request()
   if not checked then
      checked = true
      if id == 0 and #bodies > 0 then return wrk.format(nil, nil, nil, bodies[1]) end
   end
   if next_body > #bodies then
      not_sent = not_sent + 1
      if responses >= sent then finish() end
      return ""
   end
   local body = bodies[next_body]
   next_body = next_body + 1
   if sent == 0 then first_sent = now() end
   sent = sent + 1
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   responses = responses + 1
   last_response = now()
   if next_body > #bodies and responses >= sent then finish() end
end

function done(summary, latency, requests)
   local s, r, k, m, t0, t1 = 0, 0, 0, 0, nil, nil
   for _, t in ipairs(threads) do
      s = s + t:get("sent")
      r = r + t:get("responses")
      k = k + t:get("not_sent")
      m = t:get("total")
      local a, b = t:get("first_sent"), t:get("last_response")
      if a >= 0 and (t0 == nil or a < t0) then t0 = a end
      if b >= 0 and (t1 == nil or b > t1) then t1 = b end
   end
   local seconds = (t0 and t1) and (t1 - t0) or 0
   io.write(string.format("wrk_bodies: bodies=%d sent=%d responses=%d not_sent=%d seconds=%.6f\n",
                          m, s, r, k, seconds))
end
