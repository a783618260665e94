-- wrk script: send each pre-generated request exactly once, then report in one line.
--
-- Usage: wrk -t T -c C -d <limit + margin> --timeout 10s -s bench/wrk/requests.lua <url> --
--        <file> <T> <limit in seconds>
-- (bench/wrk/__init__.py runs it). <file> holds one request per line, tab-separated:
-- method, path, body ("" for none), then one "Name: value" field per header. Thread i of T
-- takes lines i, i + T, i + 2T, ...; its connections share that queue, so no request is sent
-- twice. wrk itself is duration-based: a thread whose queue is empty, or whose <limit> has
-- passed since its first request (as our own client, it then sends nothing new but waits for
-- the answers in flight), hands its connections an empty request (nothing is written, no
-- latency is recorded, the connection waits); once every request it sent is answered it stops
-- its loop and writes "wrk-thread-done" to stderr, so the bench can end the run at once
-- (SIGINT) rather than wait out wrk's duration.
--
-- done() prints one line, "WRK-SUMMARY <json>": per-thread requests and answers, statuses,
-- first send and last answer (CLOCK_MONOTONIC, µs: the rate is answers over that span, not
-- over wrk's whole duration), and the latency percentiles of wrk's own histogram.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } tsuen_timespec;
int clock_gettime(int clk_id, tsuen_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("tsuen_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local function split(line, sep)
  local out, from = {}, 1
  while true do
    local at = string.find(line, sep, from, true)
    if not at then
      out[#out + 1] = string.sub(line, from)
      return out
    end
    out[#out + 1] = string.sub(line, from, at - 1)
    from = at + 1
  end
end

-- main Lua state: one entry per thread, read back in done()
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

-- thread Lua states
function init(args)
  local nthreads = tonumber(args[2])
  queue, sent, answered, statuses = {}, 0, 0, {}
  first_us, last_us = 0, 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id then
      local f = split(line, "\t")
      local headers = {}
      for k = 4, #f do
        local name, value = string.match(f[k], "^([^:]+): (.*)$")
        headers[name] = value
      end
      local body = nil
      if f[3] ~= "" then body = f[3] end
      queue[#queue + 1] = wrk.format(f[1], f[2], headers, body)
    end
    n = n + 1
  end
  share = #queue
  limit_us = tonumber(args[3]) * 1e6
  finished = false
  -- Before the run, wrk calls thread 0's request() once to count the requests it returns
  -- (pipelining): that call must not use up a request.
  counted = id ~= 0
end

function finish()
  if finished then return end
  finished = true
  io.stderr:write("wrk-thread-done\n")
  io.stderr:flush()
  wrk.thread:stop()
end

function request()
  if not counted then
    counted = true
    return queue[1] or ""
  end
  if sent > 0 and sent < share and now_us() - first_us > limit_us then
    share = sent -- time limit: send nothing new
  end
  if sent >= share then
    if answered == share then finish() end
    return "" -- parks the connection: nothing to send
  end
  sent = sent + 1
  if sent == 1 then first_us = now_us() end
  return queue[sent]
end

function response(status, headers, body)
  answered = answered + 1
  statuses[status] = (statuses[status] or 0) + 1
  last_us = now_us()
  if answered == share then finish() end
end

local function status_json(counts)
  local parts = {}
  for code, count in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', code, count) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local rows = {}
  for _, thread in ipairs(threads) do
    rows[#rows + 1] = string.format(
      '{"share": %d, "sent": %d, "answered": %d, "first_us": %.0f, "last_us": %.0f, "statuses": %s}',
      thread:get("share"), thread:get("sent"), thread:get("answered"),
      thread:get("first_us"), thread:get("last_us"), status_json(thread:get("statuses"))
    )
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-SUMMARY {"threads": [%s], "requests": %d, "duration_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    table.concat(rows, ", "), summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean
  ))
end
