-- wrk reporter: one machine-readable line at the end of a run.
--   RESULT <requests> <seconds> <rps> <p50_ms> <p99_ms> <max_ms> <non_2xx_3xx> <socket_errors>
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %.1f %.3f %.3f %.3f %d %d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
