"""The register: the SQLite store of holders and their record events, the feed import, the demo feed.

Public entry points: `db.Database`, `repository.SqliteRegister`, `feed.Holder`.
"""
