"""Instructions per request of a route, in one process (tools/bench/cpu_web.py under valgrind).

    .venv/bin/python tools/bench/instructions.py [--routes sante,solde] [--cold] [--checkout DIR] [DB]

On a shared machine CPU time moves by ±20 % from run to run; an instruction count does not. Each
route runs under `valgrind --tool=cachegrind` twice, with 50 and 450 measured requests; the
difference over 400 is the cost of one request, start-up and warm-up cancelled. `--checkout`
measures another worktree of the project (e.g. the commit before a change) with this virtualenv.
Needs valgrind (Debian package `valgrind`). Instructions miss what waits on memory or the disk:
confirm a change in time (`make bench`) too. Figures: docs/performance.md, "Instructions".
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUNTS = (50, 450)


def instructions(checkout: Path, db: str, route: str, requests: int, cold: bool = False) -> int:
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, "tools/bench/cpu_web.py", db, "--drivers", "20", "--requests", str(requests),
               "--routes", route, *(["--cold"] if cold else [])]
    output = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"I\s+refs:\s+([\d,]+)", output).group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", nargs="?", default=str(ROOT / "var/bench/web-100000.sqlite3"))
    parser.add_argument("--routes", default="sante,solde")
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--cold", action="store_true",
                        help="a first visit: the file cache emptied before each request (cpu_web.py --cold)")
    args = parser.parse_args()
    for route in args.routes.split(","):
        low, high = (instructions(args.checkout, str(Path(args.db).resolve()), route, n, args.cold) for n in COUNTS)
        print(f"{route:10s} {(high - low) / (COUNTS[1] - COUNTS[0]):>12,.0f} instructions/request", flush=True)


if __name__ == "__main__":
    main()
