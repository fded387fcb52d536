"""The database every area stores in: connections, PRAGMAs and the migrations mechanism (`db.py`),
the migrations themselves (`migrations/NNNN_name.sql`: the register's, the accounts'…), and
`pointspermis migrate`. No business logic: the register and the accounts own their tables' meaning.
"""
