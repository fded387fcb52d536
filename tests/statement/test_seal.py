"""The seal: a code verifies only when nothing in it was changed, and keys can rotate."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from backend.statement import keys
from backend.statement.seal import (
    DIGEST_BYTES, Keyring, Seal, SealError, content_digest, new_private_key, public_key_of, read_code, sign, verify,
)

ISSUED = dt.datetime(2026, 11, 26, 14, 3, 27, tzinfo=dt.UTC)
NEPH = "190575100123"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.parse(new_private_key("k1"))


@pytest.fixture
def seal(keyring: Keyring) -> Seal:
    return sign(keyring, neph=NEPH, issued_at=ISSUED, digest=content_digest(b'{"neph":"190575100123"}'))


def test_a_fresh_code_verifies_and_says_what_it_seals(keyring, seal):
    result = verify(keyring, seal.code)
    assert result.outcome == "authentic" and result.authentic
    assert (result.seal.neph, result.seal.issued_at, result.seal.digest, result.seal.key_id) == (
        NEPH, ISSUED, seal.digest, "k1")


def test_the_code_is_read_back_whatever_the_case_and_separators(keyring, seal):
    typed = "-".join(seal.code.split()).lower()
    assert verify(keyring, typed).authentic
    assert verify(keyring, seal.compact_code).authentic
    # Crockford base 32: O and I/L typed for 0 and 1 read the same.
    assert verify(keyring, seal.compact_code.replace("0", "O").replace("1", "l")).authentic


def test_the_code_groups_characters_by_four(seal):
    groups = seal.code.split(" ")
    assert all(len(g) == 4 for g in groups[:-1]) and 1 <= len(groups[-1]) <= 4
    assert "".join(groups) == seal.compact_code


@pytest.mark.parametrize("change", [
    {"neph": "190575100124"},
    {"neph": "290575100123"},
    {"issued_at": ISSUED + dt.timedelta(seconds=1)},
    {"issued_at": ISSUED - dt.timedelta(days=365)},
])
def test_changing_the_neph_or_the_date_breaks_the_seal(keyring, seal, change):
    tampered = msgspec.structs.replace(seal, **change)
    result = verify(keyring, tampered.code)
    assert result.outcome == "forged" and not result.authentic
    assert "n'est pas authentique" in result.message


def test_changing_any_byte_of_the_content_digest_breaks_the_seal(keyring, seal):
    for index in range(DIGEST_BYTES):
        digest = bytearray(seal.digest)
        digest[index] ^= 0x01
        result = verify(keyring, msgspec.structs.replace(seal, digest=bytes(digest)).code)
        assert result.outcome == "forged", index


def test_a_statement_with_other_content_has_another_digest():
    assert content_digest(b'{"balance":8}') != content_digest(b'{"balance":9}')


def test_changing_any_byte_of_the_code_is_never_authentic(keyring, seal):
    """Every byte of the signed message and of the signature, re-encoded with a valid typing check."""
    import hashlib

    from backend.statement.seal import _b32encode

    body = seal.message() + seal.signature
    for index in range(len(body)):
        changed = bytearray(body)
        changed[index] ^= 0x10
        code = _b32encode(bytes(changed) + hashlib.sha256(bytes(changed)).digest()[:1])
        assert verify(keyring, code).outcome != "authentic", index


def test_a_mistyped_character_is_reported_as_a_typing_error(keyring, seal):
    code = seal.compact_code
    position = 40
    wrong = "A" if code[position] != "A" else "B"
    result = verify(keyring, code[:position] + wrong + code[position + 1:])
    assert result.outcome == "mistyped" and "mal recopié" in result.message
    result = verify(keyring, code[:-10])
    assert result.outcome == "mistyped" and not result.authentic
    assert "caractère « U »" in verify(keyring, "U" + code[1:]).message
    assert verify(keyring, "   ").outcome == "mistyped"


def test_an_unknown_key_id_is_refused_with_a_clear_message(seal):
    other = Keyring.parse(new_private_key("k2"))
    result = verify(other, seal.code)
    assert result.outcome == "unknown_key" and not result.authentic
    assert "« k1 »" in result.message and "ne connaît pas" in result.message


def test_a_rotated_key_still_verifies_statements_it_sealed(keyring, seal):
    old_private = new_private_key("k1")
    old = Keyring.parse(old_private)
    old_seal = sign(old, neph=NEPH, issued_at=ISSUED, digest=seal.digest)
    rotated = Keyring.parse(new_private_key("k2"), public_key_of(old_private))
    assert rotated.signing[0] == "k2"
    assert verify(rotated, old_seal.code).authentic
    new_seal = sign(rotated, neph=NEPH, issued_at=ISSUED, digest=seal.digest)
    assert new_seal.key_id == "k2" and verify(rotated, new_seal.code).authentic
    # The old key alone cannot vouch for what the new key sealed, and vice versa once it is dropped.
    assert verify(old, new_seal.code).outcome == "unknown_key"
    assert verify(Keyring.parse(new_private_key("k2")), old_seal.code).outcome == "unknown_key"


def test_a_signature_by_another_key_with_the_same_id_is_forged(seal):
    impostor = Keyring.parse(new_private_key("k1"))
    assert verify(impostor, seal.code).outcome == "forged"


@pytest.mark.parametrize("spec, words", [
    ("nokeyid", "KEYID:base64url"),
    ("toolongkeyid:AAAA", "KEYID de 1 à 8"),
    ("k1:AAAA", "32 octets"),
    ("k1:***", "base64url illisible"),
])
def test_a_malformed_key_setting_is_refused_with_a_clear_message(spec, words):
    with pytest.raises(SealError, match=words):
        Keyring.parse(spec)


def test_a_public_key_that_contradicts_the_private_key_is_refused():
    with pytest.raises(SealError, match="ne correspond pas"):
        Keyring.parse(new_private_key("k1"), public_key_of(new_private_key("k1")))


def test_the_neph_may_hold_letters_and_survives_the_code(keyring):
    sealed = sign(keyring, neph="AB12cd34EF56", issued_at=ISSUED, digest=bytes(DIGEST_BYTES))
    assert read_code(sealed.code).neph == "AB12cd34EF56"


def test_the_key_command_prints_a_usable_key(capsys):
    assert keys.main(["dev1"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed.startswith("dev1:") and Keyring.parse(printed).signing[0] == "dev1"
    assert keys.main(["--public", printed]) == 0
    public = capsys.readouterr().out.strip()
    assert Keyring.parse("", public).public["dev1"].public_bytes_raw() == \
        Keyring.parse(printed).public["dev1"].public_bytes_raw()
    assert keys.main(["bad id!"]) == 2
