#!/usr/bin/env bash
# `make bench`: every area's benchmark, one after the other, figures printed as they come.
# Benchmarks measure; they never assert (goals are printed beside the figures).
# The web figures and the 10-minute first-visit soak run on both stores (issue #18): SQLite, then the
# same register in a local PostgreSQL (tools/bench/stores.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
for area in engine import statement web accounts paused_import soak; do
  script="tools/bench/bench_${area}.py"
  if [ ! -f "$script" ]; then
    continue
  fi
  case "$area" in
    web)
      echo "=== web (SQLite) ==="
      "$PY" "$script" --store sqlite
      echo
      echo "=== web (PostgreSQL) ==="
      "$PY" "$script" --store postgres --skip-lighthouse  # what the browser gets is the same
      ;;
    soak)
      echo "=== soak (SQLite) ==="
      "$PY" "$script" --store sqlite
      echo
      echo "=== soak (PostgreSQL) ==="
      "$PY" "$script" --store postgres
      ;;
    *)
      echo "=== ${area} ==="
      "$PY" "$script"
      ;;
  esac
  echo
done
