"""Random secrets and their stored form.

Session ids, mail-link tokens and OpenID `state` values are 256-bit random strings; the
database keeps only their SHA-256, so reading the database gives nothing usable. Mail links
are additionally signed (HMAC with the service secret and the link's purpose) so that a
forged or truncated link is refused before any database lookup, and a reset token can never
be used as a verification token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def random_token() -> str:
    """43 URL-safe characters (256 bits): also satisfies FranceConnect's ≥ 32 characters."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _signature(secret: str, purpose: str, raw: str) -> str:
    mac = hmac.new(secret.encode(), f"{purpose}:{raw}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def sign_link_token(secret: str, purpose: str, raw: str) -> str:
    return f"{raw}.{_signature(secret, purpose, raw)}"


def unsign_link_token(secret: str, purpose: str, token: str) -> str | None:
    """The raw token if the signature is right for this purpose, else None."""
    raw, _, signature = token.rpartition(".")
    if not raw or not hmac.compare_digest(signature, _signature(secret, purpose, raw)):
        return None
    return raw
