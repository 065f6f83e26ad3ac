#!/usr/bin/env bash
# What observers cost on the lifecycle path, and how fast one process sends webhooks (issue 10).
#
# 1. `asyncdash bench lifecycle` with no observer, then with the log, metrics and a durable
#    webhook observer, alternating, RUNS times each (default 3) on fresh SQLite files; prints
#    each run and the medians and their ratio. The webhook's cost here is its outbox write in
#    the record's transaction: nothing is posted during the run (no dispatcher runs).
# 2. `asyncdash bench webhooks`: one sender process posts N outbox events to a receiver in a
#    child process on 127.0.0.1; prints webhooks_per_s.
#
#   usage: .bench/observers-cost.sh [RUNS] [TASKS]   (from the project root, after swift build -c release)
set -eu
RUNS=${1:-3}
N=${2:-5000}
BIN=${ASYNCDASH_BIN:-$(swift build -c release --show-bin-path 2>/dev/null)/asyncdash}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
base='ASYNC_MANAGER_DEFAULT:
  manager_class: sample.async_manager.SampleAsyncManager
  config:
    record_model_path: sample.AsyncTaskRecord
    field_map: { progress: progress_payload }'
printf '%s\n' "$base" > "$T/none.yaml"
printf '%s\n%s\n' "$base" '    observers:
      - type: asyncdash.observers.log
      - type: asyncdash.observers.metrics
      - type: asyncdash.observers.webhook
        durable: true
        url: http://127.0.0.1:9/hook      # never posted to during the run
        secret_env: BENCH_HOOK_SECRET' > "$T/observers.yaml"
export BENCH_HOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
val() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -n1; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
none=""; with=""
for run in $(seq 1 "$RUNS"); do
  for kind in none observers; do
    out=$("$BIN" --config "$T/$kind.yaml" bench lifecycle --store "sqlite://$T/$kind-$run.sqlite" -n "$N" 2>/dev/null | tail -n1)
    rate=$(val lifecycle_events_per_s "$out")
    echo "run $run, $kind: lifecycle_events_per_s=$rate"
    if [ "$kind" = none ]; then none="$none $rate"; else with="$with $rate"; fi
  done
done
m0=$(echo "$none" | median); m1=$(echo "$with" | median)
echo "lifecycle medians: none=$m0 log+metrics+webhook=$m1 ratio=$(python3 -c "print(round($m1/$m0, 3))")"
"$BIN" --config "$T/none.yaml" bench webhooks -n "${WEBHOOKS:-20000}" --tasks "${WEBHOOK_TASKS:-1000}" --concurrency "${WEBHOOK_CONCURRENCY:-16}" 2>/dev/null | tail -n3
