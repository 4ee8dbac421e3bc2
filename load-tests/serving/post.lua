-- wrk -s post.lua: POSTs the JSON file named by the BODY environment variable.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

-- Prints the percentiles wrk's own summary rounds away, and the non-2xx count.
function done(summary, latency, requests)
  io.write(string.format("p50=%.3fms p90=%.3fms p99=%.3fms p99.9=%.3fms max=%.3fms req/s=%.0f non2xx=%d errors=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
