"""Short codes a person types: Crockford base 32 with its mod-37 check symbol.

A code is 15 random base-32 digits (75 bits) and one check symbol: 16 characters, printed in
blocks of four (`7K3M-9QXR-2B4T-HW6*`). The check symbol is Crockford's: the code's value
modulo 37, written with the 32 digits and the five extra symbols ``* ~ $ = U``
(https://www.crockford.com/base32.html). Because 37 is prime and larger than 32, changing one
digit, or swapping two adjacent different digits, always changes the value modulo 37, so every
such typing mistake is caught by the check before any database lookup.

Reading is lenient the way Crockford specifies: case is ignored, ``O`` reads as ``0``, ``I``
and ``L`` as ``1``; spaces, hyphens and dots are separators. 75 random bits leave nothing to
guess: with every code of a large service in use (10⁸), one guess in 3·10¹⁴ hits one, and the
pages that read codes are rate-limited.

Share codes (`new_share_code`) are longer still (20 random digits + check, 100 bits): they
are typed less often than read from a message, and they open a file without any paper at hand.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = ALPHABET + "*~$=U"  # values 0..36
_READ = {c: i for i, c in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
_CHECK_READ = {c: i for i, c in enumerate(CHECK_SYMBOLS)} | {"O": 0, "I": 1, "L": 1}
_SEPARATORS = re.compile(r"[\s\-.]+")

DOCUMENT_DIGITS = 15  # + 1 check: 16 characters
SHARE_DIGITS = 20  # + 1 check: 21 characters


class CodeError(ValueError):
    """A code that cannot be a code we issued; the message is in French, for the reader."""


def _value(digits: str) -> int:
    value = 0
    for char in digits:
        value = value * 32 + _READ[char]
    return value


def check_symbol(digits: str) -> str:
    return CHECK_SYMBOLS[_value(digits) % 37]


def new_code(digits: int = DOCUMENT_DIGITS) -> str:
    """A fresh random code (digits + check symbol), without separators."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(digits))
    return body + check_symbol(body)


def new_share_code() -> str:
    return new_code(SHARE_DIGITS)


def grouped(code: str) -> str:
    """As printed: blocks of four joined by hyphens."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise(text: str, digits: int = DOCUMENT_DIGITS, what: str = "code") -> str:
    """The canonical form of a typed code, or CodeError saying what is wrong with it."""
    compact = _SEPARATORS.sub("", text).upper()
    if not compact:
        raise CodeError(f"saisissez le {what}")
    if len(compact) != digits + 1:
        raise CodeError(f"le {what} compte {digits + 1} caractères, vous en avez saisi {len(compact)}")
    body, check = compact[:-1], compact[-1]
    for position, char in enumerate(body, 1):
        if char not in _READ:
            raise CodeError(f"le caractère « {char} » (position {position}) n'existe pas dans les codes : "
                            "seuls les chiffres et les lettres sauf I, L, O et U sont utilisés")
    if check not in _CHECK_READ:
        raise CodeError(f"le dernier caractère « {check} » n'est pas un caractère de contrôle possible")
    canonical_body = "".join(ALPHABET[_READ[c]] for c in body)
    if _CHECK_READ[check] != _value(canonical_body) % 37:
        raise CodeError(f"le {what} a été mal recopié (le caractère de contrôle ne correspond pas) : "
                        "vérifiez chaque caractère")
    return canonical_body + CHECK_SYMBOLS[_CHECK_READ[check]]


def looks_like_short_code(text: str) -> bool:
    """Whether typed text is meant as a short code rather than a full seal code (~160 characters)."""
    return len(_SEPARATORS.sub("", text)) <= SHARE_DIGITS + 5
