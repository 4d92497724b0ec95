-- wrk's report as one JSON line (done() runs once, after every thread stopped), and the token
-- from the environment, so that it never shows on a command line.
wrk.headers["Authorization"] = os.getenv("WRK_AUTHORIZATION")

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
