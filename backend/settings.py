"""Settings, read once from ``POINTSPERMIS_*`` environment variables.

Every field is documented here and nowhere else. ``POINTSPERMIS_DB`` sets ``db``,
``POINTSPERMIS_SMTP_PORT`` sets ``smtp_port``, and so on. Secrets come only from the
environment (or a file it points to), never from the repository.
"""

from __future__ import annotations

import functools
import os
from typing import Literal

import msgspec

PREFIX = "POINTSPERMIS_"

PG_POOL_SIZE = 2
"""The default of `Settings.pg_pool_size` (and of every PostgreSQL handle the tools open)."""

PG_WAIT_SECONDS = 5.0
"""The default of `Settings.pg_wait_seconds`."""

REPLICA_MAX_LAG_SECONDS = 15.0
"""The default of `Settings.replica_max_lag_seconds`."""


def is_postgres_url(target: object) -> bool:
    """Whether a `db`-like setting names a PostgreSQL database (else a SQLite file): decided here only."""
    return str(target).startswith(("postgresql://", "postgres://"))


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    environment: Literal["development", "test", "production"] = "production"
    """`production` refuses every development-only switch (demo viewing, insecure cookies)."""

    db: str = "var/pointspermis.sqlite3"
    """Path of the register's SQLite file: the national register's feed, written by
    `pointspermis import`, read by every driver page. A ``postgresql://`` URL instead: one PostgreSQL
    database holds the register and the accounts."""

    accounts_db: str = ""
    """Path of the accounts' SQLite file: everything a request writes (accounts, sessions, mail links,
    rate limits, the access log, issued documents, share codes). Empty: the register file's sibling,
    ``X.sqlite3`` -> ``X.accounts.sqlite3`` (`backend.database.stores.accounts_db_for`). A separate
    file so that an import, which holds the register file's write lock while it runs, never blocks a
    driver (docs/ARCHITECTURE.md, "Where the data lives"). Unused on PostgreSQL."""

    register_replica: str = ""
    """PostgreSQL only: the ``postgresql://`` URL of a hot standby (streaming replica) of the ``db``
    database that serves the register's reads (licence files, the latest extract, the data lag).
    Everything a request writes, and reads back, stays on ``db``, the primary: a driver's own writes
    are all on that side, so they are always seen (docs/scaling.md). While the replica cannot be reached,
    the register is read on ``db`` (backend/database/replica.py). Empty: every read on ``db``."""

    replica_max_lag_seconds: float = REPLICA_MAX_LAG_SECONDS
    """With ``register_replica``: the most, in seconds, by which the register read on the replica may be older
    than the primary's. A replica further behind (its replay stopped or slowed, its link to the primary broken)
    is left for the primary until it has caught up (backend/database/replica.py). A replica keeps up within
    milliseconds; this bounds what a driver may see after an import when it does not."""

    pg_pool_size: int = PG_POOL_SIZE
    """PostgreSQL only: the connections each worker process keeps open to each database (the primary,
    and the replica if any), all opened at start. A worker runs on one thread: with two, a page's read
    goes out while another request's writes hold the other; more only add server processes competing
    for the same cores (docs/performance.md, "PostgreSQL: connections per worker"). An instance holds
    workers × this many connections per database: size the server's ``max_connections`` from it."""

    pg_wait_seconds: float = PG_WAIT_SECONDS
    """PostgreSQL only: how long a request waits for one of its worker's connections before its page says
    that the service is unavailable for a moment (503, « réessayez dans une minute »). Under load a wait
    lasts milliseconds (reads share a connection, `backend/database/pg_batch.py`); it reaches this only
    while the server cannot be reached (restarting, failing over, down) or is far beyond its capacity.
    Also the longest a request's statement waits for a lock (``lock_timeout``: a migration or a maintenance
    holding a table).
    Keep it below the timeout of whatever stands in front of the service, so that the driver gets the
    service's own page."""

    base_url: str = "http://127.0.0.1:8000"
    """Public base URL of the service, used in e-mail links and OpenID redirect URIs."""

    secret_key: str = ""
    """Secret for signing CSRF tokens and mail links. Required in production."""

    # --- mail (verification and reset links) ---
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "pointspermis <ne-pas-repondre@pointspermis.localhost>"

    # --- FranceConnect (OpenID Connect) ---
    fc_discovery_url: str = ""
    """Issuer discovery URL (``…/.well-known/openid-configuration``). Empty: FranceConnect is off."""
    fc_client_id: str = ""
    fc_client_secret: str = ""
    fc_redirect_uri: str = ""
    """Defaults to ``{base_url}/auth/franceconnect/callback`` when empty."""
    fc_post_logout_redirect_uri: str = ""
    """Defaults to ``{base_url}/auth/franceconnect/deconnexion`` when empty (it checks the logout state)."""

    # --- statement seal ---
    seal_private_key: str = ""
    """Current Ed25519 signing key: ``KEYID:base64url(raw 32 bytes)``."""
    seal_public_keys: str = ""
    """Older public keys still accepted, comma-separated ``KEYID:base64url(raw 32 bytes)``."""

    # --- access log ---
    access_log_retention_days: int = 365
    """How long the log of who viewed which file is kept."""

    # --- development ---
    dev_holder_view: bool = False
    """Development only: allow viewing a demo holder's pages by NEPH. Refused in production."""

    def __post_init__(self) -> None:
        if self.register_replica and not (is_postgres_url(self.db) and is_postgres_url(self.register_replica)):
            raise ValueError("POINTSPERMIS_REGISTER_REPLICA (une réplique PostgreSQL) demande que POINTSPERMIS_DB "
                             "soit aussi une URL postgresql:// (la base principale)")
        if self.pg_pool_size < 1:
            raise ValueError(f"POINTSPERMIS_PG_POOL_SIZE vaut {self.pg_pool_size} : il faut au moins 1 connexion "
                             f"par processus (par défaut {PG_POOL_SIZE})")
        if not self.replica_max_lag_seconds > 0:
            raise ValueError(f"POINTSPERMIS_REPLICA_MAX_LAG_SECONDS vaut {self.replica_max_lag_seconds} : il faut un "
                             f"retard positif, en secondes (par défaut {REPLICA_MAX_LAG_SECONDS})")
        if not self.pg_wait_seconds > 0:
            raise ValueError(f"POINTSPERMIS_PG_WAIT_SECONDS vaut {self.pg_wait_seconds} : il faut une attente "
                             f"positive, en secondes (par défaut {PG_WAIT_SECONDS})")
        if self.environment == "production":
            if self.dev_holder_view:
                raise ValueError("POINTSPERMIS_DEV_HOLDER_VIEW ne peut pas être activé en production")
            if len(self.secret_key) < 32:
                raise ValueError("POINTSPERMIS_SECRET_KEY doit contenir au moins 32 caractères en production")

    @property
    def is_development(self) -> bool:
        return self.environment != "production"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment; unknown ``POINTSPERMIS_*`` names are an error."""
    environ = dict(os.environ if environ is None else environ)
    fields = {f.name for f in msgspec.structs.fields(Settings)}
    raw: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith(PREFIX):
            continue
        name = key[len(PREFIX):].lower()
        if name not in fields:
            raise ValueError(f"variable d'environnement inconnue : {key}")
        raw[name] = value
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(f"réglage invalide : {exc}") from exc


@functools.cache
def get_settings() -> Settings:
    return load_settings()
