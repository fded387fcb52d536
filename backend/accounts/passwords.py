"""Password policy and hashing (argon2id).

Policy (NIST SP 800-63B style, what ANSSI also recommends for passphrases): at least 12
characters, at most 256, not one of the most common passwords nor a common password with
digits or symbols stuck on its ends. No composition rules: a long passphrase beats `P@ssw0rd!`.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")

# argon2-cffi's defaults are RFC 9106's second recommended profile (argon2id, t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()
# Verified against when the account does not exist, so an unknown address costs the same time.
_DUMMY_HASH = _hasher.hash("pointspermis-dummy-password-for-timing")
_AFFIXES = re.compile(r"^[\d\W_]+|[\d\W_]+$")


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """What is wrong with a new password, as a French sentence saying how to fix it; None if fine."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères. Une phrase de plusieurs mots est plus facile à retenir."
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe doit contenir au plus {MAX_LENGTH} caractères."
    lowered = password.lower()
    common = common_passwords()
    core = _AFFIXES.sub("", lowered)
    if lowered in common or core in common or len(set(lowered)) <= 3:
        return "Ce mot de passe fait partie des plus courants et serait deviné facilement. Choisissez-en un autre, par exemple une phrase de plusieurs mots."
    if email and email.split("@")[0].lower() in lowered and len(email.split("@")[0]) >= 4:
        return "Le mot de passe ne doit pas contenir votre adresse électronique."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; always spends one argon2 verification, even without a hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
