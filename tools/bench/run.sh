#!/usr/bin/env bash
# `make bench`: every area's benchmark, one after the other, figures printed as they come.
# Benchmarks measure; they never assert (goals are printed beside the figures).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
for area in engine import statement web accounts paused_import soak; do
  script="tools/bench/bench_${area}.py"
  if [ -f "$script" ]; then
    echo "=== ${area} ==="
    "$PY" "$script"
    echo
  fi
done
