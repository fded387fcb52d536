"""PostgreSQL rows answer like sqlite3.Row: the fast row factory (names from the raw result) against the
reference one (names from `cursor.description`), on the same statements."""

from __future__ import annotations

import psycopg
import pytest

from backend.database import postgres

STATEMENTS = [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, born TEXT)", ()),
    ("INSERT INTO t (id, name, born) VALUES (?, ?, ?), (?, ?, ?)", (1, "Ève", "2001-02-03", 2, None, "1999-12-31")),
    ("INSERT INTO t (id, name, born) VALUES (?, ?, ?) RETURNING id, name", (3, "Zoé", "1980-01-01")),
    ("SELECT id, name, born FROM t ORDER BY id", ()),
    ("SELECT * FROM t WHERE id = ?", (2,)),
    ("SELECT name FROM t WHERE id = ?", (99,)),  # no row: the columns are still known
    ('SELECT id AS "numéro", name AS "nom de famille" FROM t ORDER BY id', ()),  # names outside ASCII
    ("SELECT 1 AS a, 2 AS a", ()),  # the same name twice: by name, the last one (as the reference)
    ("SELECT FROM t", ()),  # rows of no column
    ("SELECT count(*), max(born) FROM t", ()),  # names PostgreSQL makes up
    ("UPDATE t SET name = ? WHERE id = ?", ("Ana", 2)),  # no result rows
]


def _answers(url: str, factory) -> list:
    answers = []
    with psycopg.connect(url, autocommit=True, row_factory=factory) as conn:
        for sql, params in STATEMENTS:
            cursor = conn.execute(postgres.translate(sql), postgres.adapt(params))
            if cursor.description is None:
                answers.append(("no rows", cursor.rowcount))
                continue
            rows = cursor.fetchall()
            answers.append([(tuple(row), row.keys(), {name: row[name] for name in row.keys()},
                             [row[i] for i in range(len(row))]) for row in rows] or ("none", [column.name for column in cursor.description]))
    return answers


def test_fast_rows_answer_as_the_reference_rows(postgres_url: str) -> None:
    fast = _answers(postgres_url, postgres.fast_sqlite_like_rows)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE t")
    reference = _answers(postgres_url, postgres.sqlite_like_rows)
    assert fast == reference
    assert fast[3][0][2] == {"id": 1, "name": "Ève", "born": "2001-02-03"}  # what both were compared on
    assert fast[6][0][1] == ["numéro", "nom de famille"]


def test_copy_results_have_the_reference_rows_factory(postgres_url: str) -> None:
    """A COPY's result has columns without names: both factories must accept it (the import COPYs)."""
    for factory in (postgres.fast_sqlite_like_rows, postgres.sqlite_like_rows):
        with psycopg.connect(postgres_url, autocommit=True, row_factory=factory) as conn, conn.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE c (a INTEGER, b TEXT)")
            with cursor.copy("COPY c (a, b) FROM STDIN") as copy:
                copy.write_row((1, "un"))
            with cursor.copy("COPY c TO STDOUT") as copy:
                assert [bytes(block) for block in copy] == [b"1\tun\n"]
            assert [tuple(row) for row in cursor.execute("SELECT a, b FROM c").fetchall()] == [(1, "un")]


def test_the_application_connections_use_rows_by_name(postgres_url: str) -> None:
    with postgres.connect(postgres_url) as conn:
        row = conn.execute("SELECT 7 AS seven, 'x' AS letter").fetchone()
    assert (row["seven"], row["letter"], row[0], tuple(row)) == (7, "x", 7, (7, "x"))
    with pytest.raises(KeyError):
        row["eight"]


async def test_the_pool_reads_rows_by_name(postgres_url: str) -> None:
    db = await postgres.PostgresDatabase.open(postgres_url)
    try:
        rows = await db.fetch_small("SELECT version AS v FROM schema_migrations WHERE version = ?", (1,))
    finally:
        await db.close()
    assert [row["v"] for row in rows] == [1]
