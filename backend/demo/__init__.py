"""The demo feed: showcase holders and generated lives (`generator.py`, `life.py`, `catalogue.py`),
written as a register feed file by `pointspermis demo`. Depends on the law (every event it writes
is decoded by the engine's own validation), never on the register: it writes a file, the import
reads it.
"""
