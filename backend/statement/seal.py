"""The statement's integrity seal (cachet) and its verification code.

A statement is sealed by an Ed25519 signature over: the key id, the issue date-time, the
NEPH and the digest of the statement's content. The verification code carries all of them,
so verifying needs nothing but the code and the public key named in it (no database, no
copy of the statement kept by the service):

    version(1) | len(key_id)(1) | key_id | issued_at(uint32 s, UTC) | neph(9, base 62)
    | digest(16) | signature(64) | check(1)

Version 2 (statements and attestations issued since short codes exist) also names the kind of
document, its end of validity and the short code (codes.py) under which the service keeps the
signed facts (documents.py), so that the code typed and the QR code designate the same record:

    version(2) | kind(1) | len(key_id)(1) | key_id | issued_at(uint32) | valid_until(uint32, 0 = none)
    | neph(9) | short code (15 base-32 digits in 10 bytes) | digest(16) | signature(64) | check(1)

Its digest is over the facts kept server-side (`facts_digest`), which for a statement include
the digest of the whole statement's content.

written in Crockford base 32 (no I, L, O, U; case and separators ignored when read back),
in blocks of four. The last byte is a typing check (first byte of SHA-256 of the rest): a
mistyped code is reported as mistyped rather than as a forgery. The digest is the first
16 bytes of SHA-256 over the canonical content: 128 bits keeps a second preimage out of
reach while keeping the code as short as a 64-byte signature allows.

Keys are ``KEYID:base64url(raw 32 bytes)``: the current private key signs, older public
keys stay listed so that statements issued before a rotation still verify.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import Literal

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from backend.statement.codes import DOCUMENT_DIGITS, check_symbol

VERSION = 1
VERSION_2 = 2
KINDS = {"statement": 1, "attestation": 2}
_KIND_NAMES = {v: k for k, v in KINDS.items()}
_SHORT_BYTES = 10
DIGEST_BYTES = 16
SIGNATURE_BYTES = 64
_NEPH_BYTES = 9
_DOMAIN = b"pointspermis statement seal v1\x00"  # signatures made for this purpose only
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,8}$")
_NEPH = re.compile(r"^[0-9A-Za-z]{12}$")
_NEPH_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # base 62: 12 chars in 9 bytes
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
_DECODE = {c: i for i, c in enumerate(_ALPHABET)} | {"O": 0, "I": 1, "L": 1}
_SEPARATORS = re.compile(r"[\s\-.]+")


class SealError(ValueError):
    """A key or a code that cannot be used; the message is in French, for the user."""


# --- keys -----------------------------------------------------------------------------


def _b64decode(text: str) -> bytes:
    # validate=True: a stray character is an error, not silently dropped
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _split_key(spec: str, what: str) -> tuple[str, bytes]:
    key_id, sep, data = spec.strip().partition(":")
    if not sep or not _KEY_ID.match(key_id):
        raise SealError(f"{what} : attendu KEYID:base64url(32 octets), KEYID de 1 à 8 caractères [A-Za-z0-9_-]")
    try:
        raw = _b64decode(data)
    except ValueError:  # binascii.Error is a ValueError
        raise SealError(f"{what} ({key_id}) : base64url illisible") from None
    if len(raw) != 32:
        raise SealError(f"{what} ({key_id}) : la clé doit faire 32 octets, pas {len(raw)}")
    return key_id, raw


class Keyring:
    """The signing key (may be absent: verification only) and every public key by id."""

    def __init__(self, signing: tuple[str, Ed25519PrivateKey] | None, public: dict[str, Ed25519PublicKey]):
        self.signing = signing
        self.public = dict(public)
        if signing is not None:
            self.public[signing[0]] = signing[1].public_key()

    @classmethod
    def parse(cls, private_key: str = "", public_keys: str = "") -> Keyring:
        """From the settings' strings (``seal_private_key``, ``seal_public_keys``)."""
        signing = None
        if private_key.strip():
            key_id, raw = _split_key(private_key, "POINTSPERMIS_SEAL_PRIVATE_KEY")
            signing = (key_id, Ed25519PrivateKey.from_private_bytes(raw))
        public: dict[str, Ed25519PublicKey] = {}
        for spec in filter(None, (s.strip() for s in public_keys.split(","))):
            key_id, raw = _split_key(spec, "POINTSPERMIS_SEAL_PUBLIC_KEYS")
            public[key_id] = Ed25519PublicKey.from_public_bytes(raw)
        if signing is not None and signing[0] in public:
            mine = signing[1].public_key().public_bytes_raw()
            if public[signing[0]].public_bytes_raw() != mine:
                raise SealError(f"la clé publique {signing[0]} ne correspond pas à la clé privée du même identifiant")
        return cls(signing, public)


def new_private_key(key_id: str) -> str:
    """A fresh ``KEYID:base64url(raw32)`` private key for ``POINTSPERMIS_SEAL_PRIVATE_KEY``."""
    if not _KEY_ID.match(key_id):
        raise SealError("KEYID : 1 à 8 caractères [A-Za-z0-9_-]")
    return f"{key_id}:{_b64encode(Ed25519PrivateKey.generate().private_bytes_raw())}"


def public_key_of(private_key: str) -> str:
    """The ``KEYID:base64url(raw32)`` public key to keep in ``seal_public_keys`` after a rotation."""
    key_id, raw = _split_key(private_key, "clé privée")
    return f"{key_id}:{_b64encode(Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw())}"


# --- seal -----------------------------------------------------------------------------


class Seal(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str
    issued_at: dt.datetime  # UTC, whole seconds
    neph: str
    digest: bytes  # DIGEST_BYTES
    signature: bytes = b""
    # version 2 only
    kind: str = "statement"
    short_code: str | None = None  # codes.py, canonical (with its check symbol)
    valid_until: dt.datetime | None = None

    @property
    def version(self) -> int:
        return VERSION if self.short_code is None else VERSION_2

    def message(self) -> bytes:
        """The signed bytes: everything in the code before the signature."""
        key_id = self.key_id.encode()
        if self.short_code is None:
            return (bytes([VERSION, len(key_id)]) + key_id + _pack_time(self.issued_at) + _pack_neph(self.neph)
                    + self.digest)
        until = _pack_time(self.valid_until) if self.valid_until is not None else bytes(4)
        return (bytes([VERSION_2, KINDS[self.kind], len(key_id)]) + key_id + _pack_time(self.issued_at) + until
                + _pack_neph(self.neph) + _pack_short(self.short_code) + self.digest)

    @property
    def code(self) -> str:
        """The verification code in blocks of four characters, as printed."""
        plain = self.compact_code
        return " ".join(plain[i:i + 4] for i in range(0, len(plain), 4))

    @property
    def compact_code(self) -> str:
        """The code without separators, for URLs and QR codes."""
        body = self.message() + self.signature
        return _b32encode(body + hashlib.sha256(body).digest()[:1])

    @property
    def digest_text(self) -> str:
        """The content digest as printed on the statement (hex, blocks of four)."""
        text = self.digest.hex().upper()
        return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def _pack_time(moment: dt.datetime) -> bytes:
    if moment.tzinfo is None:
        raise SealError("issued_at must be timezone-aware")
    return int(moment.timestamp()).to_bytes(4, "big")


def _pack_neph(neph: str) -> bytes:
    if not _NEPH.match(neph):
        raise SealError(f"NEPH {neph!r} : 12 chiffres ou lettres attendus")
    value = 0
    for char in neph:
        value = value * 62 + _NEPH_DIGITS.index(char)
    return value.to_bytes(_NEPH_BYTES, "big")


def _unpack_neph(raw: bytes) -> str:
    value, chars = int.from_bytes(raw, "big"), []
    for _ in range(12):
        value, digit = divmod(value, 62)
        chars.append(_NEPH_DIGITS[digit])
    if value:
        raise SealError("numéro de dossier illisible dans le code")
    return "".join(reversed(chars))


def _pack_short(code: str) -> bytes:
    value = 0
    for char in code[:-1]:
        value = value * 32 + _DECODE[char]
    return value.to_bytes(_SHORT_BYTES, "big")


def _unpack_short(raw: bytes) -> str:
    value, chars = int.from_bytes(raw, "big"), []
    for _ in range(DOCUMENT_DIGITS):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    if value:
        raise SealError("code court illisible dans le code")
    body = "".join(reversed(chars))
    return body + check_symbol(body)


def facts_digest(canonical: bytes) -> bytes:
    """Digest of the facts kept with a document (version 2 codes)."""
    return hashlib.sha256(b"pointspermis facts v1\x00" + canonical).digest()[:DIGEST_BYTES]


def content_digest(canonical: bytes) -> bytes:
    """Digest of the statement's canonical serialisation, as carried in the code."""
    return hashlib.sha256(b"pointspermis statement content v1\x00" + canonical).digest()[:DIGEST_BYTES]


def sign(keyring: Keyring, *, neph: str, issued_at: dt.datetime, digest: bytes, kind: str = "statement",
         short_code: str | None = None, valid_until: dt.datetime | None = None) -> Seal:
    """Seal (version 1 without `short_code`, else version 2). Times are kept to the second."""
    if keyring.signing is None:
        raise SealError("aucune clé de cachet configurée (POINTSPERMIS_SEAL_PRIVATE_KEY)")
    key_id, private = keyring.signing
    unsigned = Seal(key_id=key_id, issued_at=issued_at.astimezone(dt.UTC).replace(microsecond=0),
                    neph=neph, digest=digest, kind=kind, short_code=short_code,
                    valid_until=valid_until.astimezone(dt.UTC).replace(microsecond=0) if valid_until else None)
    return msgspec.structs.replace(unsigned, signature=private.sign(_DOMAIN + unsigned.message()))


# --- base 32 --------------------------------------------------------------------------


def _b32encode(raw: bytes) -> str:
    bits = len(raw) * 8
    chars = -(-bits // 5)
    value = int.from_bytes(raw, "big") << (chars * 5 - bits)
    return "".join(_ALPHABET[(value >> (5 * (chars - 1 - i))) & 31] for i in range(chars))


def _b32decode(text: str) -> bytes:
    value = 0
    for position, char in enumerate(text, 1):
        digit = _DECODE.get(char.upper())
        if digit is None:
            raise SealError(f"le caractère « {char} » (position {position}) n'existe pas dans les codes de vérification")
        value = (value << 5) | digit
    size, pad = divmod(len(text) * 5, 8)
    if value & ((1 << pad) - 1):
        raise SealError("le code a été mal recopié : vérifiez chaque caractère")
    return (value >> pad).to_bytes(size, "big")


# --- verification ---------------------------------------------------------------------

Outcome = Literal["authentic", "forged", "unknown_key", "mistyped"]


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome
    message: str  # plain French, for the verifier page
    seal: Seal | None = None  # what the code says (only when it could be read)

    @property
    def authentic(self) -> bool:
        return self.outcome == "authentic"


_MIN_BYTES = 2 + 1 + 4 + _NEPH_BYTES + DIGEST_BYTES + SIGNATURE_BYTES + 1


def read_code(text: str) -> Seal:
    """Parse a typed or scanned code; raises SealError (mistyped) when it cannot be read."""
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise SealError("saisissez le code de vérification imprimé sur le relevé")
    if len(compact) * 5 // 8 < _MIN_BYTES:
        raise SealError(f"le code est incomplet : {len(compact)} caractères lus, un code complet en compte "
                        "environ 160")
    raw = _b32decode(compact)
    if raw and raw[0] == VERSION_2:
        return _read_v2(raw, len(compact))
    if len(raw) < _MIN_BYTES or raw[0] != VERSION:
        raise SealError(f"le code est incomplet ou n'est pas un code de relevé ({len(compact)} caractères lus)")
    body, check = raw[:-1], raw[-1:]
    if hashlib.sha256(body).digest()[:1] != check:
        raise SealError("le code a été mal recopié : vérifiez chaque caractère")
    id_len = body[1]
    if len(body) != 2 + id_len + 4 + _NEPH_BYTES + DIGEST_BYTES + SIGNATURE_BYTES:
        raise SealError("le code est incomplet ou trop long")
    offset = 2 + id_len
    key_id = body[2:offset].decode("ascii", "replace")
    issued_at = dt.datetime.fromtimestamp(int.from_bytes(body[offset:offset + 4], "big"), dt.UTC)
    neph = _unpack_neph(body[offset + 4:offset + 4 + _NEPH_BYTES])
    digest = body[offset + 4 + _NEPH_BYTES:offset + 4 + _NEPH_BYTES + DIGEST_BYTES]
    return Seal(key_id=key_id, issued_at=issued_at, neph=neph, digest=digest, signature=body[-SIGNATURE_BYTES:])


def _read_v2(raw: bytes, typed: int) -> Seal:
    body, check = raw[:-1], raw[-1:]
    if len(raw) < 4 or hashlib.sha256(body).digest()[:1] != check:
        raise SealError("le code a été mal recopié : vérifiez chaque caractère")
    kind, id_len = _KIND_NAMES.get(body[1]), body[2]
    fixed = 3 + id_len + 4 + 4 + _NEPH_BYTES + _SHORT_BYTES + DIGEST_BYTES + SIGNATURE_BYTES
    if kind is None or len(body) != fixed:
        raise SealError(f"le code est incomplet ou n'est pas un code de ce service ({typed} caractères lus)")
    at = 3 + id_len
    key_id = body[3:at].decode("ascii", "replace")
    issued_at = dt.datetime.fromtimestamp(int.from_bytes(body[at:at + 4], "big"), dt.UTC)
    until = int.from_bytes(body[at + 4:at + 8], "big")
    at += 8
    neph = _unpack_neph(body[at:at + _NEPH_BYTES])
    at += _NEPH_BYTES
    short = _unpack_short(body[at:at + _SHORT_BYTES])
    at += _SHORT_BYTES
    return Seal(key_id=key_id, issued_at=issued_at, neph=neph, digest=body[at:at + DIGEST_BYTES],
                signature=body[-SIGNATURE_BYTES:], kind=kind, short_code=short,
                valid_until=dt.datetime.fromtimestamp(until, dt.UTC) if until else None)


def verify(keyring: Keyring, text: str) -> Verification:
    """Whether a verification code was issued by this service and names what it names."""
    try:
        seal = read_code(text)
    except SealError as exc:
        message = str(exc)
        return Verification(outcome="mistyped", message=message[0].upper() + message[1:] + ".")
    public = keyring.public.get(seal.key_id)
    if public is None:
        return Verification(
            outcome="unknown_key", seal=seal,
            message=(f"Ce code a été signé avec une clé (« {seal.key_id} ») que ce service ne connaît pas : "
                     "il ne peut pas être vérifié ici et ne doit pas être tenu pour authentique."))
    try:
        public.verify(seal.signature, _DOMAIN + seal.message())
    except InvalidSignature:
        return Verification(
            outcome="forged", seal=seal,
            message=("Ce code n'est pas authentique : sa signature ne correspond pas au numéro de dossier, "
                     "à la date ou au contenu qu'il indique. Le relevé a pu être modifié."))
    return Verification(outcome="authentic", seal=seal,
                        message="Ce code est authentique : il a été émis par ce service et n'a pas été modifié.")
