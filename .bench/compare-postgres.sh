#!/usr/bin/env bash
# AsyncDash's benchmarks on PostgreSQL next to powercrud 0.9.16 (Django + SQLite WAL + django-q2),
# measured in ONE run on this machine and printed as ratios (as ../shared/anchors/compare.sh does
# for SQLite). Every event is committed before `emit` returns; the server shares the cores.
#
#   usage: .bench/compare-postgres.sh [POSTGRES_URL]   (from the project root, after swift build -c release)
#   default URL: the throw-away server of `.ci/postgres start`; each bench gets a fresh schema.
set -u
URL=${1:-postgres://asyncdash@127.0.0.1:5432/asyncdash_test?sslmode=disable}
case "$URL" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
PROJ=$(pwd)
ANCHORS=${ASYNCDASH_ANCHORS:-$PROJ/../shared/anchors}
BIN=${ASYNCDASH_BIN:-$(swift build -c release --show-bin-path 2>/dev/null)/asyncdash}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
A=$ANCHORS/powercrud
# powercrud's virtualenv (its ./setup.sh makes it); where its python is not runnable, a Python
# >= 3.12 with the virtualenv's packages on PYTHONPATH.
APY=$A/.venv/bin/python
if [ ! -x "$APY" ]; then
  APY=$(ls "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3.1[2-9] 2>/dev/null | head -n1)
  [ -n "$APY" ] || APY=$(command -v python3.12 || command -v python3.13 || true)
  [ -n "$APY" ] || { echo "powercrud needs Python >= 3.12: run $A/setup.sh" >&2; exit 1; }
  export PYTHONPATH=$(ls -d "$A"/.venv/lib/python3.*/site-packages | head -n1)
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cp "$PROJ/config.yaml" "$T/config.yaml"
ad() { "$BIN" --config "$T/config.yaml" "$@"; }
val() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | tail -n1; }
ratio() { python3 -c "print(round($1/$2, 2))" 2>/dev/null || echo "?"; }
fresh() { echo "${URL}${SEP}schema=bench_$1_$(date +%s%N | tail -c 9)"; }

p=$(cd "$A" && "$APY" bench_lifecycle.py 300 2>/dev/null | tail -n1)
o=$(ad bench lifecycle --store "$(fresh l)" -n 5000 2>/dev/null | tail -n1)
a=$(val lifecycle_events_per_s "$o"); b=$(val lifecycle_events_per_s "$p")
echo "lifecycle (postgres): asyncdash=$a powercrud=$b vs_powercrud=$(ratio "$a" "$b")x"

p=$(cd "$A" && "$APY" bench_locks.py 200 2>/dev/null | tail -n1)
o=$(ad bench locks --store "$(fresh k)" -n 5000 2>/dev/null | tail -n1)
a=$(val lock_reservations_per_s "$o"); b=$(val lock_reservations_per_s "$p")
echo "locks (postgres): asyncdash=$a powercrud=$b vs_powercrud=$(ratio "$a" "$b")x"

p=$(cd "$A" && timeout 120 "$APY" bench_e2e.py 150 2>/dev/null | tail -n1)
b=$(val e2e_tasks_per_s "$p")
line="e2e (postgres queue): powercrud+django-q2=$b"
o=$(ad bench e2e --queue durable --store "$(fresh e)" -n 5000 --workers 64 2>/dev/null | tail -n1)
a=$(val e2e_tasks_per_s "$o"); line="$line in_process_worker=$a ($(ratio "$a" "$b")x)"
for n in 1 2 4; do
  o=$(ad bench e2e --queue durable --store "$(fresh e$n)" -n 5000 --workers 32 --worker-processes "$n" 2>/dev/null | tail -n1)
  a=$(val e2e_tasks_per_s "$o"); line="$line worker_processes_$n=$a ($(ratio "$a" "$b")x)"
done
echo "$line"
