"""Accounts: sign-in (password or FranceConnect), sessions, CSRF, guards, access log, mail.

Page handlers only need `viewer: Viewer` (see `session.py`); everything else is wired into the
app by `plugin.AccountsPlugin`.
"""
