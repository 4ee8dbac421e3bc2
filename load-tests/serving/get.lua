-- wrk -s get.lua: GETs the paths listed in the file named by PATHS, one a line, in turn; prints
-- the same summary line as post.lua with the hit/miss mix (a miss is a non-2xx answer: a 404 from
-- GET /rewrite is an utterance without a live rule).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  paths[#paths + 1] = line
end
local next_path = 0
function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path])
end

function done(summary, latency, requests)
  io.write(string.format("p50=%.3fms p90=%.3fms p99=%.3fms p99.9=%.3fms max=%.3fms req/s=%.0f non2xx=%d errors=%d hits=%d misses=%d paths=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests - summary.errors.status, summary.errors.status, #paths))
end
