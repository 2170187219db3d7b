-- wrk's script for the mixed load (bench/mixed_load.py): every connection reads the main
-- pages in turn, signed in with one session cookie, and every answer but a 200 is counted.
--
--   wrk -c 20 -t 2 -d 30s -s bench/mixed_load.lua http://127.0.0.1:PORT -- COOKIE /path ...
--
-- The arguments after `--`: the Cookie header's value, then the paths to rotate over.
-- `done` prints one `name: value` line per figure (latency in ms), read by mixed_load.py.
-- wrk itself counts only answers of 400 and above as errors; a 302 to the sign-in page
-- would pass unseen, hence `response` here (it has each thread count its own).

local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  cookie = args[1]
  paths = {}
  for i = 2, #args do
    paths[#paths + 1] = args[i]
  end
  if #paths == 0 then
    error("mixed_load.lua: no paths given after the cookie")
  end
  -- Each thread starts at another page, so the pages are read evenly from the start.
  counter = offset
  not_ok = 0
  redirects = 0
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
    if status >= 300 and status < 400 then
      redirects = redirects + 1
    end
  end
end

function done(summary, latency, requests)
  local not_ok_total, redirects_total = 0, 0
  for _, thread in ipairs(threads) do
    not_ok_total = not_ok_total + thread:get("not_ok")
    redirects_total = redirects_total + thread:get("redirects")
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("wrk.requests: %d\n", summary.requests))
  io.write(string.format("wrk.seconds: %.2f\n", seconds))
  io.write(string.format("wrk.rps: %.1f\n", summary.requests / seconds))
  io.write(string.format("wrk.p50_ms: %.1f\n", latency:percentile(50) / 1000))
  io.write(string.format("wrk.p95_ms: %.1f\n", latency:percentile(95) / 1000))
  io.write(string.format("wrk.p99_ms: %.1f\n", latency:percentile(99) / 1000))
  io.write(string.format("wrk.max_ms: %.1f\n", latency.max / 1000))
  io.write(string.format("wrk.not_ok: %d\n", not_ok_total))
  io.write(string.format("wrk.redirects: %d\n", redirects_total))
  io.write(string.format("wrk.status_errors: %d\n", e.status))
  io.write(string.format("wrk.connect_errors: %d\n", e.connect))
  io.write(string.format("wrk.read_errors: %d\n", e.read))
  io.write(string.format("wrk.write_errors: %d\n", e.write))
  io.write(string.format("wrk.timeouts: %d\n", e.timeout))
end
