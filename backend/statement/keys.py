"""Seal keys: ``python -m backend.statement.keys [KEYID]`` prints a new private key.

Put it in ``POINTSPERMIS_SEAL_PRIVATE_KEY``. When rotating, move the old key's public half
(``python -m backend.statement.keys --public OLD_PRIVATE_KEY``) to ``POINTSPERMIS_SEAL_PUBLIC_KEYS``
so that statements sealed before the rotation still verify.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from backend.settings import Settings
from backend.statement.seal import Keyring, SealError, new_private_key, public_key_of

log = logging.getLogger(__name__)

_ephemeral: Keyring | None = None


def keyring_from_settings(settings: Settings) -> Keyring:
    """The configured keys. Without a private key, development and tests get a key made for
    this process (statements then verify only until it stops); production refuses."""
    global _ephemeral
    keyring = Keyring.parse(settings.seal_private_key, settings.seal_public_keys)
    if keyring.signing is not None or not settings.is_development:
        return keyring
    if _ephemeral is None:
        log.warning("POINTSPERMIS_SEAL_PRIVATE_KEY absent : clé de cachet temporaire (développement seulement)")
        _ephemeral = Keyring.parse(new_private_key("dev"))
    return Keyring(_ephemeral.signing, keyring.public)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.statement.keys", description=__doc__.splitlines()[0])
    parser.add_argument("key_id", nargs="?", default=dt.date.today().strftime("k%y%m%d"),
                        help="identifiant de la clé (1 à 8 caractères [A-Za-z0-9_-]), par défaut kAAMMJJ")
    parser.add_argument("--public", metavar="PRIVATE_KEY", help="affiche la clé publique d'une clé privée")
    args = parser.parse_args(argv)
    try:
        print(public_key_of(args.public) if args.public else new_private_key(args.key_id))
    except SealError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
