#!/usr/bin/env bash
# Replays an event log at full speed into `hindsight run --app compensation` (embedded broker),
# then compares every compensation with `hindsight evaluate`'s on the same log.
# Usage: load-tests/live-equals-evaluate.sh LOG WORKDIR [extra `run` flags]   (needs kcat, python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log=$1; dir=$2; shift 2
rm -rf "$dir"; mkdir -p "$dir"
"$root/hindsight" evaluate --input "$log" --report "$dir/evaluate" > /dev/null 2>&1
"$root/hindsight" run --app compensation --data-dir "$dir/data" --set topic.retention.ms=-1 "$@" \
  > "$dir/run.out" 2> "$dir/run.err" &
service=$!
trap 'kill $service 2>/dev/null' EXIT
until grep -q '^ready' "$dir/run.out" 2>/dev/null; do sleep 1; done
broker=$(awk '/^broker:/ {print $2}' "$dir/run.out")
http=$(awk -F: '/^http:/ {print $3}' "$dir/run.out")
"$root/hindsight" replay --input "$log" --bootstrap-servers "$broker" | tail -1
expected=$(grep -c '"prediction"' < <(zcat -f "$log"))
until [ "$(kcat -b "$broker" -C -t compensations -e -q -X isolation.level=read_committed -f '%k\n' | wc -l)" -ge "$expected" ]; do sleep 2; done
kcat -b "$broker" -C -t compensations -e -q -X isolation.level=read_committed -f '%s\n' > "$dir/compensations.jsonl"
echo "dead letters by reason:"; kcat -b "$broker" -C -t dlq -e -q -f '%h\n' | sed 's/.*reason=\([^,]*\),.*/\1/' | sort | uniq -c
curl -s "127.0.0.1:$http/metrics" | grep -E '^hindsight_(compensation_(deferred|alignment_timeouts|implicit_negatives|records)_total|memory_(late|samples)) '
python3 "$(dirname "$0")/compare-live-evaluate.py" "$dir/compensations.jsonl" "$dir/evaluate/compensations.csv"
