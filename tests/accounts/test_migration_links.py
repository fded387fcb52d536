"""Migration 0007 on a database that already has accounts, sessions and an access log: the log's
rows are kept (as password-channel views), the passwords of addresses never confirmed are dropped,
the rest is untouched."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from backend.database.db import MIGRATIONS_DIR, configure, migrate


def test_0007_keeps_the_access_log_and_drops_unconfirmed_passwords(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:4]) < 7:
            shutil.copy(path, before / path.name)
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        configure(conn)
        migrate(conn, before)
        conn.executescript("""
            INSERT INTO accounts (id, email, password_hash, email_verified_at, neph, linked_at, created_at)
            VALUES (1, 'titulaire@exemple.test', 'hash-1', 100, '190575100123', 100, 100),
                   (2, 'proprietaire@exemple.test', 'hash-du-squatteur', NULL, NULL, NULL, 100);
            INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at) VALUES ('s1', 1, 100, 100);
            INSERT INTO access_log (viewed_at, account_id, neph, page) VALUES (200, 1, '190575100123', '/solde');
        """)
        assert 7 in migrate(conn)
        assert conn.execute("SELECT viewed_at, account_id, neph, page, channel, who, place FROM access_log").fetchall() == [
            (200, 1, "190575100123", "/solde", "password", None, None)]
        assert conn.execute("SELECT id, password_hash, linked_by FROM accounts ORDER BY id").fetchall() == [
            (1, "hash-1", None), (2, None, None)]
        assert conn.execute("SELECT id_hash, fc_match_neph FROM sessions").fetchall() == [("s1", None)]
        # A third party's row needs no account; an account's row needs one.
        conn.execute("INSERT INTO access_log (viewed_at, account_id, neph, page, channel, who) "
                      "VALUES (300, NULL, '190575100123', '/consulter', 'share_code', 'Code de partage')")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO access_log (viewed_at, account_id, neph, page, channel) "
                         "VALUES (300, NULL, '190575100123', '/solde', 'password')")
    finally:
        conn.close()
