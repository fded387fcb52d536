"""Short codes: the check symbol catches every single-character mistake and every swap."""

from __future__ import annotations

import itertools
import re

import pytest

from backend.statement.codes import (
    ALPHABET, CHECK_SYMBOLS, DOCUMENT_DIGITS, check_symbol, SHARE_DIGITS, CodeError, grouped, new_code, new_share_code, normalise,
)


def test_a_document_code_is_16_characters_and_a_share_code_21():
    code, share = new_code(), new_share_code()
    assert len(code) == DOCUMENT_DIGITS + 1 == 16 and len(share) == SHARE_DIGITS + 1 == 21
    assert set(code[:-1]) <= set(ALPHABET) and code[-1] in CHECK_SYMBOLS
    assert normalise(code) == code and normalise(share, SHARE_DIGITS) == share
    assert len({new_code() for _ in range(1000)}) == 1000


def test_reading_is_lenient_about_case_separators_and_look_alike_letters():
    code = "0123456789ABCDE"
    full = code + check_symbol(code)
    assert normalise(grouped(full)) == full
    assert normalise(" " + grouped(full).lower().replace("-", " . ") + " ") == full
    assert normalise("O1" + full[2:]) == full and normalise("oL" + full[2:]) == full  # O reads 0, L reads 1


@pytest.mark.parametrize("seed", range(20))
def test_every_single_character_substitution_is_rejected(seed):
    code = new_code()
    for position, replacement in itertools.product(range(len(code)), ALPHABET + "*~$=U"):
        if replacement == code[position]:
            continue
        changed = code[:position] + replacement + code[position + 1:]
        with pytest.raises(CodeError):
            normalise(changed)


@pytest.mark.parametrize("seed", range(20))
def test_every_swap_of_two_adjacent_different_characters_is_rejected(seed):
    code = new_code()
    for position in range(len(code) - 2):  # the body's characters (swapping with the check symbol too)
        if code[position] == code[position + 1]:
            continue
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
        with pytest.raises(CodeError):
            normalise(swapped)


@pytest.mark.parametrize("text, message", [
    ("", "saisissez"),
    ("ABC", "16 caractères"),
    ("0123456789ABCDEFG", "16 caractères"),
    ("0123456789ABCD#*", "« # » (position 15)"),
    ("0123456789ABCDU*", "« U » (position 15)"),
])
def test_unreadable_codes_say_what_is_wrong(text, message):
    with pytest.raises(CodeError, match=re.escape(message)):
        normalise(text)
