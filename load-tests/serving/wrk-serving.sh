#!/usr/bin/env bash
# Measures the serving endpoints with wrk against `hindsight run --app all` on its embedded broker,
# after EVENTS lines of a MovieLens event log have been replayed (so the memory has samples).
# Usage: load-tests/serving/wrk-serving.sh JAR LOG WORKDIR [EVENTS] [DURATION]   (needs wrk, curl, python3)
# DURATION in seconds with an s (15s). PROFILE=FILE.jfr: a flight recording of the batch run.
# SERVICE_JAVA_OPTS: JVM options for the service alone (e.g. a collector, -Xlog:gc:FILE).
# WARMUP: how long each measured line first runs unmeasured (default 20s; 0s for none), so that it
# times compiled code: on 2 shared cores the JIT takes tens of seconds to finish a request form.
# Client and server share the machine: on 2 cores, wrk takes one of them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar=$1; log=$2; dir=$3; events=${4:-2000}; duration=${5:-15s}; warmup=${WARMUP:-20s}
java=(java -Dchronicle.analytics.disable=true -Dchronicle.announcer.disable=true -jar "$jar")
rm -rf "$dir"; mkdir -p "$dir"
head -n "$events" "$log" > "$dir/events.jsonl"
# shellcheck disable=SC2086  # the options are words
java ${SERVICE_JAVA_OPTS:-} "${java[@]:1}" run --app all --data-dir "$dir/data" > "$dir/run.out" 2> "$dir/run.err" &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
until grep -q '^ready' "$dir/run.out" 2>/dev/null; do sleep 1; done
broker=$(awk '/^broker:/ {print $2}' "$dir/run.out")
port=$(awk -F: '/^http:/ {print $3}' "$dir/run.out")
"${java[@]}" replay --input "$dir/events.jsonl" --bootstrap-servers "$broker" 2>/dev/null | tail -1
# Rules for GET /rewrite: simulated sessions (the default `dataset sessions` log, its data read from
# ../shared/data as that command's defaults say) replayed, so the rewrites app learns from them.
"${java[@]}" dataset sessions --out "$dir/sessions.jsonl" --truth "$dir/truth.tsv" > /dev/null
"${java[@]}" replay --input "$dir/sessions.jsonl" --bootstrap-servers "$broker" 2>/dev/null | tail -1
# Bodies: one prediction of the log (without requestId and timestamp), and a batch of 100.
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
preds = [e for e in map(json.loads, open(d + "/events.jsonl")) if e["type"] == "prediction"]
def cand(p): return {k: p[k] for k in ("score", "embedding", "userId", "itemId") if k in p}
one = dict(modelId=preds[0]["modelId"], modelVersion=preds[0]["modelVersion"], **cand(preds[0]))
json.dump(one, open(d + "/one.json", "w"))
batch = dict(modelId=one["modelId"], modelVersion=one["modelVersion"],
             candidates=[cand(preds[i % len(preds)]) for i in range(100)])
json.dump(batch, open(d + "/batch.json", "w"))
PY
# Measure once the replica has taken every sample (the count stops moving), not while it writes.
samples() { curl -sf "127.0.0.1:$port/metrics" | awk '/^hindsight_memory_samples / {print $2}'; }
# Unchanged over two polls 5 s apart: one poll 3 s apart mistook a replica slowed by a loaded
# machine for a finished one.
prev=-2; last=-1; now=$(samples)
until [ "$now" = "$last" ] && [ "$last" = "$prev" ] && [ "${now%.*}" -gt 0 ]; do
  sleep 5; prev=$last; last=$now; now=$(samples)
done
echo "memory: $(curl -s "127.0.0.1:$port/metrics" | grep -E '^hindsight_memory_samples ')"
# The truth's sources that have a live rule once the count stops moving: GET /rewrite asks for those.
python3 -c 'import json,sys; print(json.dumps({"utterances": [l.split("\t")[0] for l in open(sys.argv[1])]}))' \
  "$dir/truth.tsv" > "$dir/sources.json"
live() {
  curl -sf -H 'Content-Type: application/json' --data-binary @"$dir/sources.json" "127.0.0.1:$port/rewrite" \
    | python3 -c 'import json,sys; print(sum(r["target"] is not None for r in json.load(sys.stdin)["results"]))' \
    || echo 0
}
last=-1; now=$(live); waited=0
until { [ "$now" = "$last" ] && [ "$now" -gt 0 ]; } || [ $waited -ge 120 ]; do
  sleep 5; waited=$((waited + 5)); last=$now; now=$(live)
done
curl -sf -H 'Content-Type: application/json' --data-binary @"$dir/sources.json" "127.0.0.1:$port/rewrite" \
  | python3 -c '
import json, sys, urllib.parse
live = [r["utterance"] for r in json.load(sys.stdin)["results"] if r["target"] is not None]
open(sys.argv[1], "w").write("".join("/rewrite?utterance=" + urllib.parse.quote(u) + "\n" for u in live))
' "$dir/rewrite-paths.txt"
echo "rules:  $(wc -l < "$dir/rewrite-paths.txt") of $(wc -l < "$dir/truth.tsv") truth sources have a live rule; GET /rewrite cycles through them"
echo "one:    $(curl -s -H 'Content-Type: application/json' --data-binary @"$dir/one.json" "127.0.0.1:$port/compensate")"
url="http://127.0.0.1:$port"
# CPU time per request beside wrk's figures, which on a shared machine move less than wall-clock
# rates do: the whole service's (with its background work: broker, streams, GC, JIT; at low rates
# that dominates) and its HTTP threads' alone (the request path: Jetty, parsing, the replica read).
cpu() { awk '{print $14 + $15}' "/proc/$service/stat"; }
http_cpu() { cat /proc/"$service"/task/*/stat 2>/dev/null | awk '$2 ~ /^\(hindsight-http/ {s += $14 + $15} END {print s + 0}'; }
ticks=$(getconf CLK_TCK)
per_request() {
  awk -v t="$1" -v hz="$ticks" -v r="${2#*req/s=}" -v d="$duration" \
    'BEGIN { split(r, x, " "); n = x[1] * (d + 0); printf "%.1fus/request", (n > 0 ? t / hz / n * 1e6 : 0) }'
}
run() {
  echo "== $1"; shift
  local before http out
  [ "${warmup%s}" = 0 ] || wrk -d"$warmup" "$@" > /dev/null
  before=$(cpu); http=$(http_cpu); out=$(wrk -d"$duration" "$@" | tail -1)
  echo "$out service-cpu=$(per_request $(( $(cpu) - before )) "$out") http-cpu=$(per_request $(( $(http_cpu) - http )) "$out")"
}
BODY="$dir/one.json" run "POST /compensate one candidate, 1 connection" -t1 -c1 -s "$here/post.lua" "$url/compensate"
BODY="$dir/one.json" run "POST /compensate one candidate, 16 connections" -t1 -c16 -s "$here/post.lua" "$url/compensate"
if curl -s -H 'Content-Type: application/json' --data-binary @"$dir/batch.json" "$url/compensate" | grep '"results"' > /dev/null; then
  # PROFILE=FILE.jfr records this run with Java Flight Recorder (the profile settings).
  [ -n "${PROFILE:-}" ] && jcmd "$service" JFR.start name=batch settings=profile > /dev/null
  BODY="$dir/batch.json" run "POST /compensate 100 candidates, 4 connections (x100 for candidates/s)" -t1 -c4 -s "$here/post.lua" "$url/compensate"
  [ -n "${PROFILE:-}" ] && jcmd "$service" JFR.stop name=batch filename="$PROFILE" > /dev/null
else
  echo "== no batch form"
fi
if [ -s "$dir/rewrite-paths.txt" ]; then
  PATHS="$dir/rewrite-paths.txt" run "GET /rewrite, live-rule utterances, 16 connections (hits = 200s, misses = 404s)" \
    -t1 -c16 -s "$here/get.lua" "$url"
else
  echo "== GET /rewrite: no live rule learnt, not measured"
fi
# A 100 MB body is refused unread: with curl's Expect: 100-continue, and without it (sent at once).
head -c 100000000 /dev/zero > "$dir/100mb.bin"
for expect in "Expect: 100-continue" "Expect:"; do
  echo "== 100 MB body ($expect): $(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' -H "$expect" \
    -H 'Content-Type: application/json' --data-binary @"$dir/100mb.bin" "$url/compensate" || true)"
done
# A flood of 100-candidate batches on 512 connections; /health/live is timed meanwhile, and the
# kernel's listen overflows are counted (machine-wide; where nstat is installed): connections a full
# accept backlog dropped.
if command -v nstat > /dev/null; then nstat -n; fi
BODY="$dir/batch.json" wrk -t1 -c512 -d10s -s "$here/post.lua" "$url/compensate" > "$dir/flood.txt" &
flood=$!
sleep 4
for i in 1 2 3 4 5; do
  echo "   /health/live during the flood: $(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' "$url/health/live")"
  sleep 1
done
wait $flood
echo "== flood, 100 candidates, 512 connections (non2xx = 503s)"; tail -1 "$dir/flood.txt"
if command -v nstat > /dev/null; then
  echo "   listen overflows: $(nstat -z TcpExtListenOverflows | awk '/TcpExtListenOverflows/ {print $2}' || true)"
fi
