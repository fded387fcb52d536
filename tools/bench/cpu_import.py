"""The import's work on part of the bench feed, in one process, for instruction counts that the machine's
load does not disturb. Run it twice under callgrind with two sizes and divide the difference:

    valgrind --tool=callgrind .venv/bin/python tools/bench/cpu_import.py checker --chunks 10
    valgrind --tool=callgrind .venv/bin/python tools/bench/cpu_import.py checker --chunks 40
        (check_chunk + pickle, as in the checker process: difference / the difference of lines printed)
    valgrind --tool=callgrind .venv/bin/python tools/bench/cpu_import.py import --lines 20001
    valgrind --tool=callgrind .venv/bin/python tools/bench/cpu_import.py import --lines 80001
        (FeedImporter with workers=0 into a new database: checker and writer; difference / events printed)

The feed is bench_import.py's (run it once first: it generates and caches the feed).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.database.db import open_migrated  # noqa: E402
from backend.register import linecheck  # noqa: E402
from backend.register.importer import FeedImporter, open_writer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["checker", "import"])
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--lines", type=int, default=20001)
    parser.add_argument("--feed", type=Path,
                        default=Path(tempfile.gettempdir()) / "pointspermis-bench" / "demo-1000000-s1.jsonl")
    args = parser.parse_args()
    if args.what == "checker":
        with args.feed.open("rb") as handle:
            handle.readline()
            chunks = list(itertools.islice(linecheck._chunks(handle), args.chunks))
        for first, _, _, block in chunks:
            linecheck._check_chunk_pickled(first, block, "x")
        print(f"{sum(count for _, count, _, _ in chunks)} lines checked")
        return 0
    with tempfile.TemporaryDirectory(prefix="cpu-import-") as name:
        feed, db = Path(name) / "feed.jsonl", Path(name) / "db.sqlite3"
        with args.feed.open("rb") as source, feed.open("wb") as out:
            out.writelines(itertools.islice(source, args.lines))
        open_migrated(db).close()
        conn = open_writer(db)
        try:
            result = FeedImporter(conn, feed, workers=0).run()
        finally:
            conn.close()
    print(result.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
