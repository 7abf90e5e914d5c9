#!/usr/bin/env bash
# Scale runs (src/scale.ts): each process may hold at most 20,000 open files here, so the soft
# limit is raised to that for every process this starts.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
npx tsc -p tsconfig.build.json
exec node dist/scale.js "$@"
