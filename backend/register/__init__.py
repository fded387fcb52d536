"""The register: holders and their record events as stored, and the feed import.

- `store.py`: the interfaces a store implements (`RegisterStore` for reads and plain writes,
  `BulkLoader` for a feed file); `repository.py`: `SqlRegister`, the store over SQLite or PostgreSQL;
  `feed.py`: the records of a feed other than events.
- `reference_import.py`: the import written plainly, line by line (the specification the fast one
  is tested against); `importer.py`, `linecheck.py`, `checkers.py`: SQLite's bulk loader;
  `pg_importer.py`: PostgreSQL's (the same pipeline, COPY for the writes).
"""
