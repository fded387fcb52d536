"""The register: holders and their record events as stored, and the feed import.

- `store.py`: the interfaces (`RegisterStore` for reads and writes, `BulkLoader` for a feed file) a
  store implements; `sqlite_store.py`: the SQLite store.
- `reference_import.py`: the import written plainly, line by line (the specification the fast one
  is tested against); `importer.py`, `linecheck.py`, `checkers.py`: the bulk loader of SQLite.
"""
