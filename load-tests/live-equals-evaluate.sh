#!/usr/bin/env bash
# Replays an event log into `hindsight run --app compensation` (embedded broker), then compares
# every compensation with `hindsight evaluate`'s on the same log.
# Usage: load-tests/live-equals-evaluate.sh LOG WORKDIR [extra `run` flags]   (needs kcat, python3)
#   SPEED=N      replay at N times the log's pace (default: as fast as possible)
#   INSTANCES=2  two compensation instances sharing the work
#   BACKLOG=1    produce the whole log first, then start the compensation instances
set -euo pipefail
for tool in kcat python3; do command -v $tool >/dev/null || { echo "$0 needs $tool" >&2; exit 2; }; done
root="$(cd "$(dirname "$0")/.." && pwd)"
log=$1; dir=$2; shift 2
speed=${SPEED:-max}; instances=${INSTANCES:-1}; backlog=${BACKLOG:-0}
rm -rf "$dir"; mkdir -p "$dir"
"$root/hindsight" evaluate --input "$log" --report "$dir/evaluate" > /dev/null 2>&1
pids=()
trap 'kill ${pids[@]} 2>/dev/null' EXIT
# start NAME APP [run flags]: a `run` in the background, waiting until it is ready
start() {
  local name=$1 app=$2; shift 2
  "$root/hindsight" run --app "$app" --data-dir "$dir/$name" --set topic.retention.ms=-1 "$@" \
    > "$dir/$name.out" 2> "$dir/$name.err" &
  pids+=($!)
  until grep -q '^ready' "$dir/$name.out" 2>/dev/null; do sleep 1; done
}
# The first process hosts the broker; with a backlog it runs only the (idle) rewrite loop.
start host "$([ "$backlog" = 1 ] && echo rewrites || echo compensation)" "$@"
broker=$(awk '/^broker:/ {print $2}' "$dir/host.out")
compensators() {
  for i in $(seq $(( backlog == 1 ? 1 : 2 )) "$instances"); do
    start "instance$i" compensation --bootstrap-servers "$broker" "$@"
  done
}
[ "$backlog" = 1 ] || compensators "$@"
"$root/hindsight" replay --input "$log" --bootstrap-servers "$broker" --speed "$speed" | tail -1
[ "$backlog" = 1 ] && compensators "$@"
expected=$(grep -c '"prediction"' < <(zcat -f "$log"))
until [ "$(kcat -b "$broker" -C -t compensations -e -q -X isolation.level=read_committed -f '%k\n' | wc -l)" -ge "$expected" ]; do sleep 2; done
sleep 5 # duplicates, if any, would come now
kcat -b "$broker" -C -t compensations -e -q -X isolation.level=read_committed -f '%s\n' > "$dir/compensations.jsonl"
echo "dead letters by reason:"; kcat -b "$broker" -C -t dlq -e -q -f '%h\n' | sed 's/.*reason=\([^,]*\),.*/\1/' | sort | uniq -c
for out in "$dir"/*.out; do
  http=$(awk -F: '/^http:/ {print $3}' "$out")
  echo "$(basename "$out" .out):"
  curl -s "127.0.0.1:$http/metrics" | grep -E '^hindsight_(compensation_(deferred|alignment_timeouts|implicit_negatives|records)_total|memory_(late|samples)) ' || true
done
python3 "$(dirname "$0")/compare-live-evaluate.py" "$dir/compensations.jsonl" "$dir/evaluate/compensations.csv"
