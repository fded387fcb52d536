"""Which store a benchmark serves (issue #18): the SQLite register file, or the same register in PostgreSQL.

    with bench_store("postgres", sqlite_path) as store:   # store.target: what POINTSPERMIS_DB gets
        ...

- `sqlite`: the register file itself (built by bench_web.build_register).
- `postgres`: a local cluster in var/bench/pg started by tools/dev/pgcluster.py WITHOUT `--fast`
  (fsync on, as a real server: the benchmark measures what production would pay), kept between runs
  and stopped at the end if this run started it. Each register size has its own database,
  `bench_<holders>`, filled once from the SQLite register with `copy_sqlite_register` (COPY of the
  register tables, then VACUUM ANALYZE): both stores then serve exactly the same rows, and the copy
  spares generating the demo feed again (the slow part: ~22 min for 1,000,000 holders) to give it to
  `pointspermis import --db postgresql://…`, whose own figures are bench_import.py's.

`store.server_pids()` lists the database server's processes (none for SQLite, which runs inside the
workers), so that the benches count the CPU a request costs in the server too.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PGCLUSTER = ROOT / "tools" / "dev" / "pgcluster.py"
PG_DIR = ROOT / "var" / "bench" / "pg"
STORES = ("sqlite", "postgres")


class BenchStore:
    def __init__(self, kind: str, target: str, postmaster: int | None = None) -> None:
        self.kind, self.target, self.postmaster = kind, target, postmaster

    @property
    def accounts_target(self) -> str:
        """Where accounts and sessions live: the register file's accounts sibling on SQLite, the same
        database on PostgreSQL (backend.database.stores.accounts_db_for)."""
        from backend.database.stores import accounts_db_for

        return str(accounts_db_for(self.target))

    def server_pids(self) -> list[int]:
        """The PostgreSQL server's processes (postmaster and its backends); [] on SQLite."""
        if self.postmaster is None:
            return []
        return [self.postmaster, *children_of(self.postmaster)]

    def commits(self) -> int | None:
        """Transactions committed so far in the bench database (PostgreSQL's statistics: each read outside a
        transaction counts as one too); None on SQLite. Per request, it shows how many round trips end in a
        commit, a count that does not move with the host's speed."""
        if self.kind != "postgres":
            return None
        import psycopg

        with psycopg.connect(self.target, autocommit=True) as conn:
            row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()
        return int(row[0]) if row else None

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite {Path(self.target).relative_to(ROOT)}"
        from backend.database.postgres import safe_url

        return f"PostgreSQL {safe_url(self.target)} (var/bench/pg, fsync on)"


def children_of(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children.extend(int(child) for child in (task / "children").read_text().split())
    except FileNotFoundError:
        pass
    return sorted(children)


@contextlib.contextmanager
def bench_store(kind: str, sqlite_path: Path) -> Iterator[BenchStore]:
    if kind == "sqlite":
        yield BenchStore("sqlite", str(sqlite_path))
        return
    if kind != "postgres":
        raise SystemExit(f"--store: sqlite or postgres, not {kind!r}")
    running = _pgcluster("url").returncode == 0 and (PG_DIR / "data" / "postmaster.pid").exists()
    started = _pgcluster("start")
    if started.returncode != 0:
        raise SystemExit(f"PostgreSQL did not start: {started.stderr}")
    admin_url = started.stdout.strip()
    try:
        url = _fill(admin_url, sqlite_path)
        postmaster = int((PG_DIR / "data" / "postmaster.pid").read_text().split()[0])
        yield BenchStore("postgres", url, postmaster)
    finally:
        if not running:  # leave a cluster someone else started as it was
            _pgcluster("stop")


def _pgcluster(command: str) -> subprocess.CompletedProcess:
    PG_DIR.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, str(PGCLUSTER), command, str(PG_DIR)], capture_output=True, text=True)


def _fill(admin_url: str, sqlite_path: Path) -> str:
    """The URL of the database holding `sqlite_path`'s register, copying it the first time."""
    import psycopg

    from backend.database import postgres
    from tests.fixtures.postgres import copy_sqlite_register

    name = "bench_" + "".join(c if c.isalnum() else "_" for c in sqlite_path.stem)
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            admin.execute(f"CREATE DATABASE {name}")
    postgres.migrate_url(url)
    with psycopg.connect(url, autocommit=True) as conn:
        holders = conn.execute("SELECT count(*) FROM holders").fetchone()[0]
        if holders:
            print(f"PostgreSQL register: reusing database {name} ({holders} holders)")
            return url
        started = time.perf_counter()
        # One transaction: a copy cut short leaves an empty register, copied again next time.
        copy_sqlite_register(sqlite_path, url)
        copied = time.perf_counter() - started
        conn.execute("VACUUM (ANALYZE)")  # what autovacuum would reach later: statistics, visibility map
        print(f"PostgreSQL register: copied {sqlite_path.name} into {name} in {copied:.0f} s "
              f"(+ VACUUM ANALYZE {time.perf_counter() - started - copied:.0f} s) — copy_sqlite_register "
              "(COPY of the SQLite register's rows)")
    return url
