"""Benchmark: median time to produce the statement page and its PDF (goals: page < 20 ms, PDF < 500 ms).

Builds a demo register in a temporary directory (`backend.demo.generator`), then for a typical
record and the long showcase record (100000000001) measures, in process, what `/releve` and
`/releve.pdf` do per request: records service (one register read + engine) → content → seal →
QR → template (whole page), and the same plus WeasyPrint for the PDF. One untimed PDF of each record
first: a server process pays the first render's font loading once, not per statement. Prints figures
and the load average (the machine is shared: compare CPU figures), asserts nothing.

    .venv/bin/python tools/bench/bench_statement.py [--holders N] [--page-runs N] [--pdf-runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from backend import cli  # noqa: E402
from backend.records.service import licence_file  # noqa: E402
from backend.database.db import Database  # noqa: E402
from backend.demo.generator import TODAY, write_feed  # noqa: E402
from backend.register.repository import SqlRegister  # noqa: E402
from backend.statement import render as statement_render  # noqa: E402
from backend.statement.pdf import render_pdf  # noqa: E402
from backend.statement.seal import Keyring, new_private_key  # noqa: E402
from backend.rendering.templating import create_environment  # noqa: E402

LONG = "100000000001"
TYPICAL = "100000000002"
PAGE_CONTEXT = {"request": None, "viewer": None, "csrf_token": None, "sign_in_url": None, "sign_out_url": None,
                "has_errors": False, "conformity": None, "nav_current": "releve"}


def median_ms(samples: list[tuple[float, float]]) -> str:
    """Median wall-clock time (p90), and the median and lowest CPU time of this process. On a shared
    machine CPU time is less sensitive to the neighbours than wall time, but not immune (caches,
    memory bandwidth): its minimum is the closest figure to a quiet machine."""
    wall = sorted(w for w, _ in samples)
    cpu = [c for _, c in samples]
    return (f"{statistics.median(wall) * 1000:7.1f} ms (p90 {wall[int(len(wall) * 0.9)] * 1000:.1f}, "
            f"CPU {statistics.median(cpu) * 1000:.1f}, min {min(cpu) * 1000:.1f})")


class Timer:
    def __init__(self, samples: list[tuple[float, float]]) -> None:
        self.samples = samples

    def __enter__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.samples.append((time.perf_counter() - self.wall, time.process_time() - self.cpu))


async def bench(holders: int, page_runs: int, pdf_runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        feed, db_path = Path(tmp) / "feed.jsonl", Path(tmp) / "bench.sqlite3"
        with feed.open("wb") as out:
            write_feed(out, holders=holders)
        if cli.main(["import", str(feed), "--db", str(db_path)]) != 0:
            raise SystemExit("demo import failed")
        db = await Database.open(db_path)
        register = SqlRegister(db)
        keyring = Keyring.parse(new_private_key("bench"))
        env = create_environment()
        template = env.get_template(statement_render.TEMPLATE)
        try:
            for label, neph in (("typical", TYPICAL), ("long", LONG)):
                async def produce() -> statement_render.Statement:
                    file = await licence_file(register, neph, TODAY)
                    return statement_render.issue(file, dt.datetime.now(dt.UTC), keyring, "http://127.0.0.1:8000")

                statement = await produce()
                content = statement.content
                size = (f"{len(content.offences)} offences, {len(content.restorations)} restorations, "
                        f"{len(content.courses)} courses")
                page: list[tuple[float, float]] = []
                for _ in range(page_runs):
                    with Timer(page):
                        html = template.render({**PAGE_CONTEXT, **statement_render.context(await produce())})
                render_pdf(statement_render.pdf_document(env, await produce()))  # warm-up, untimed
                pdf: list[tuple[float, float]] = []
                for _ in range(pdf_runs):
                    with Timer(pdf):
                        document = statement_render.pdf_document(env, await produce())
                        data = render_pdf(document)
                print(f"{label:8} ({neph}: {size}; page {len(html) // 1024} KiB, PDF {len(data) // 1024} KiB)")
                print(f"  /releve      median {median_ms(page)}  over {page_runs} runs   goal < 20 ms")
                print(f"  /releve.pdf  median {median_ms(pdf)}  over {pdf_runs} runs   goal < 500 ms")
                print("  load average {:.2f} {:.2f} {:.2f} (2 cores)".format(*os.getloadavg()))
        finally:
            await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=50)
    parser.add_argument("--page-runs", type=int, default=200)
    parser.add_argument("--pdf-runs", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(bench(args.holders, args.page_runs, args.pdf_runs))


if __name__ == "__main__":
    main()
