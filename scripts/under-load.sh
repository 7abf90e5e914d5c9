#!/usr/bin/env bash
# Runs a command RUNS times in a row with one CPU-heavy process beside it, to show that a
# timing-sensitive test holds on a loaded machine (issue #17).
#
#   scripts/under-load.sh RUNS -- <command...>
#   scripts/under-load.sh 20 -- npx vitest run test/conformance.test.ts -t heartbeat
#
# The load is one `node -e 'for(;;){}'`: a busy loop that keeps one core fully busy for the whole
# series. It is not pinned (no taskset), so the scheduler moves it between cores as it likes; on a
# 2-core machine the command under test gets about one core to itself, shared with anything else.
# Stops at the first failing run (its exit code is returned), prints "run k/RUNS passed|failed in
# N s" after each run and a tally at the end, and kills the busy loop however the script exits.
set -euo pipefail

usage() { echo "usage: $0 RUNS -- <command...>" >&2; exit 2; }
[ $# -ge 3 ] && [ "$2" = "--" ] && [[ "$1" =~ ^[1-9][0-9]*$ ]] || usage
runs=$1
shift 2

node -e 'for(;;){}' &
hog=$!
trap 'kill "$hog" 2>/dev/null || true' EXIT
echo "under-load: busy loop running as pid $hog on $(nproc) cores"

passed=0
series_start=$SECONDS
for k in $(seq 1 "$runs"); do
  start=$SECONDS
  status=0
  "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "run $k/$runs failed in $((SECONDS - start)) s (exit $status)"
    echo "under-load: $passed/$runs passed before the first failure, $((SECONDS - series_start)) s"
    exit "$status"
  fi
  passed=$((passed + 1))
  echo "run $k/$runs passed in $((SECONDS - start)) s"
done
echo "under-load: $passed/$runs passed, $((SECONDS - series_start)) s in all"
