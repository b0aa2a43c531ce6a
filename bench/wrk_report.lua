-- wrk script for bench/catalog.py.
--
-- Sends the request paths listed in a file (one per line, passed after "--"), in turn, so the product
-- page is asked for many different SKUs; counts every answer outside 2xx (wrk itself counts only
-- status >= 400, so a redirect to the sign-in page would go unnoticed); and prints one summary line
-- that bench/catalog.py reads: "BENCH key=value ...", latencies in microseconds.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_number", counter)
   table.insert(threads, thread)
end

local requests = {}
local position = 0
non2xx = 0

function init(args)
   local file = args[1]
   if file then
      for line in io.lines(file) do
         if line ~= "" then
            table.insert(requests, wrk.format(nil, line))
         end
      end
   end
   if #requests == 0 then
      table.insert(requests, wrk.format(nil, wrk.path))
   end
   -- Threads start at different places in the list.
   position = ((thread_number or 1) * 7919) % #requests
end

function request()
   position = position % #requests + 1
   return requests[position]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests_)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non2xx") or 0)
   end
   local errors = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
      "p50_us=%d p95_us=%d p99_us=%d max_us=%d mean_us=%d\n",
      summary.requests, summary.duration, bad, errors.connect, errors.read, errors.write, errors.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
