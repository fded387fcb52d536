"""Linking an account to a licence file (/compte/lier): four facts, one answer whatever is wrong,
limits per account, client address and file, and the file's other accounts told by mail."""

from __future__ import annotations

import re

from backend.accounts.ratelimit import LINK_PER_ACCOUNT, LINK_PER_FILE
from tests.fixtures.accounts import (HOLDERS, LICENCE_DATES, MARTIN_A2_ON, MARTIN_CANCELLED_LICENCE_ON,
                                     wait_for_mail)

MARTIN = HOLDERS[0]
RIGHT = dict(neph=MARTIN.neph, birth_day="12", birth_month="04", birth_year="1990", family_name="martin",
             licence_day="18", licence_month="6", licence_year="2009")


def with_date(prefix, date, **more):
    return {**RIGHT, f"{prefix}_day": str(date.day), f"{prefix}_month": str(date.month),
            f"{prefix}_year": str(date.year), **more}


async def link(harness, client, **data):
    return await client.post("/compte/lier", data={**data, "_csrf_token": await harness.csrf(client, "/compte/lier")})


def summary(response):
    return re.search(r'<ul class="error-summary__list">(.*?)</ul>', response.text, re.S).group(1)


class RecordingRegister:
    """The real register, noting which reads each attempt makes (the path must not depend on
    which fact is wrong)."""

    def __init__(self, register):
        self.register, self.calls = register, []

    def __getattr__(self, name):
        method = getattr(self.register, name)

        async def call(*args):
            self.calls.append(name)
            return await method(*args)

        return call


async def test_every_wrong_fact_gets_the_same_answer_after_the_same_reads(accounts_harness):
    linker = accounts_harness.accounts.linker
    recording = linker.register = RecordingRegister(linker.register)
    wrong = [
        {**RIGHT, "neph": "999999999999"},                       # no such file
        {**RIGHT, "birth_day": "13"},                            # wrong birth date
        {**RIGHT, "family_name": "DUBOIS"},                      # wrong name
        with_date("licence", LICENCE_DATES[HOLDERS[1].neph]),    # another holder's licence date
        with_date("licence", MARTIN_CANCELLED_LICENCE_ON),       # a date the register cancelled
        {**RIGHT, "neph": HOLDERS[1].neph},                      # another file, Martin's other facts
    ]
    texts, paths = set(), set()
    for index, data in enumerate(wrong):
        client = await accounts_harness.signed_in(None)  # a fresh account each time: stays under its limit
        recording.calls.clear()
        response = await link(accounts_harness, client, **data)
        assert response.status_code == 400, index
        texts.add(summary(response))
        paths.add(tuple(recording.calls))
        assert (await client.get("/solde")).headers["location"] == "/compte/lier"
    assert len(texts) == 1 and "ne correspondent à aucun dossier" in texts.pop()
    assert len(paths) == 1 and paths.pop() == ("find_holder_for_link", "get_events")

    # Either date of column 10 (the licence, or a category obtained later) is right.
    for data in (RIGHT, with_date("licence", MARTIN_A2_ON)):
        client = await accounts_harness.signed_in(None)
        assert (await link(accounts_harness, client, **data)).status_code == 303
        assert (await client.get("/solde")).status_code == 200


async def test_brute_force_of_the_licence_date_stays_limited_per_account_and_per_file(accounts_harness):
    harness = accounts_harness
    guesser = await harness.signed_in(None)
    for day in range(1, LINK_PER_ACCOUNT.attempts + 1):
        assert (await link(harness, guesser, **{**RIGHT, "licence_day": str(day)})).status_code == 400
    # Blocked now, even with the right answer (which it must not be able to confirm).
    blocked = await link(harness, guesser, **RIGHT)
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
    assert (await guesser.get("/solde")).headers["location"] == "/compte/lier"

    # Other accounts guessing the same file are stopped by the file's own limit, wrong or right.
    tried = LINK_PER_ACCOUNT.attempts
    while tried < LINK_PER_FILE.attempts:
        other = await harness.signed_in(None)
        assert (await link(harness, other, **{**RIGHT, "licence_month": "7"})).status_code == 400
        tried += 1
    late = await harness.signed_in(None)
    assert (await link(harness, late, **RIGHT)).status_code == 429
    # The file's limit is counted on the NEPH whether or not a file has it: an unknown NEPH is
    # limited alike, so the limit reveals nothing either.
    stranger = await harness.signed_in(None)
    for _ in range(LINK_PER_FILE.attempts):
        client = await harness.signed_in(None)
        await link(harness, client, **{**RIGHT, "neph": "999999999999"})
    assert (await link(harness, stranger, **{**RIGHT, "neph": "999999999999"})).status_code == 429
    # A day later the holder links.
    harness.clock.advance(24 * 3600 + 1)
    holder = await harness.signed_in(None)
    assert (await link(harness, holder, **RIGHT)).status_code == 303


async def test_malformed_dates_say_what_to_fix_and_are_not_counted(accounts_harness):
    client = await accounts_harness.signed_in(None)
    cases = [
        ({"birth_year": "99999"}, "birth_day"), ({"birth_day": "0"}, "birth_day"), ({"birth_month": "13"}, "birth_day"),
        ({"birth_day": "31", "birth_month": "2"}, "birth_day"), ({"birth_year": "9" * 5000}, "birth_day"),
        ({"birth_day": "-1"}, "birth_day"), ({"birth_day": "١٢"}, "birth_day"),  # Arabic-Indic digits
        ({"licence_year": "0"}, "licence_day"), ({"licence_day": "1e3"}, "licence_day"),
        ({"licence_year": "2999"}, "licence_day"), ({"neph": "12"}, "neph"), ({"family_name": " "}, "family_name"),
    ]
    for change, field in cases * 2:  # twice the per-account limit: none of these is an attempt
        response = await link(accounts_harness, client, **{**RIGHT, **change})
        assert response.status_code == 400, change
        assert f'href="#{field}"' in summary(response), change  # the summary points at the field to fix
        assert "ne correspondent à aucun dossier" not in response.text
    assert (await link(accounts_harness, client, **RIGHT)).status_code == 303


async def test_a_new_link_is_told_to_the_accounts_already_linked(accounts_harness):
    harness = accounts_harness
    first = await harness.signed_in(MARTIN.neph, email="titulaire@exemple.test")
    second = await harness.signed_in(None, email="second@exemple.test")
    assert (await link(harness, second, **RIGHT)).status_code == 303
    [notice] = await wait_for_mail(harness.inbox, first.email)
    assert notice["subject"] == "Un autre compte a été relié à votre dossier de permis"
    assert "retirez ce lien" in notice["body"] and "/compte" in notice["body"]
    assert "second@" not in notice["body"]  # the holder learns that, not who
    assert harness.inbox.to(second.email) == []  # the new account itself is not told
