-- wrk script for scripts/bench.py: sets the request from the environment and reports as JSON.
--
--   BENCH_METHOD  HTTP method (default GET)
--   BENCH_BODY    request body, sent verbatim (default none); headers such as Content-Type
--                 are passed with wrk's own -H option
--   BENCH_UNIQUE  a word (letters only) replaced in the body, on every request, by a value no
--                 other request of any run makes: BENCH_RUN (distinct per run) and a counter
--
-- done() prints one line "BENCH_JSON {...}" after wrk's own text report; latencies are in
-- microseconds, as wrk measures them.

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
end

local unique = os.getenv("BENCH_UNIQUE")
if unique ~= nil and unique ~= "" then
  local run = os.getenv("BENCH_RUN") or "run"
  local counter = 0
  function request()
    counter = counter + 1
    return wrk.format(nil, nil, nil, (body:gsub(unique, run .. "-" .. counter)))
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.6f,"requests_per_s":%.3f,"bytes":%d,'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.3f},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
