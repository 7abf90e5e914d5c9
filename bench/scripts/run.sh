#!/usr/bin/env bash
# Runs the benchmark: `quick` (npm run bench, a few minutes) or `full` (npm run bench:full, the
# whole matrix). 10,000 subscribers need 10,000+ open files in the server and the load generator.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-quick}"
shift || true
hard=$(ulimit -Hn)
if [ "$hard" = "unlimited" ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard"
if [ "$(ulimit -n)" -lt 10100 ]; then
  echo "bench: the open-files limit is $(ulimit -n) (hard $(ulimit -Hn)); 10,000 subscribers need ~10,100. Raise the hard limit or pass --n 1,100,1000." >&2
fi
npx tsc -p tsconfig.build.json
exec node dist/run.js --profile "$profile" "$@"
