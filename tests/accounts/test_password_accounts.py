"""Personal accounts end to end: mails go through a real SMTP server on loopback and the tests
follow the links they contain, as a person would."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from backend.accounts.ratelimit import SIGNIN_PER_ADDRESS
from tests.fixtures.accounts import HOLDERS, wait_for_mail

PASSWORD = "trois mots bien choisis"
MARTIN = HOLDERS[0]


def local(url):
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def hidden(page, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name}"
    return html.unescape(match.group(1))


async def post(harness, client, path, **data):
    data["_csrf_token"] = await harness.csrf(client)
    return await client.post(path, data=data)


async def sign_up_and_confirm(harness, client, email, password=PASSWORD):
    response = await post(harness, client, "/inscription", email=email)
    assert response.status_code == 200 and "Consultez votre messagerie" in response.text
    mails = await wait_for_mail(harness.inbox, email)
    link = harness.inbox.links(email)[-1]
    assert link.startswith("http://127.0.0.1:8000/compte/confirmer-email?jeton=") or "/compte/confirmer-email?jeton=" in link
    page = await client.get(local(link))
    assert page.status_code == 200 and email in page.text
    assert 'name="password"' in page.text  # the confirmer chooses the password
    confirmed = await post(harness, client, "/compte/confirmer-email", jeton=hidden(page.text, "jeton"), password=password)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/connexion?info=confirme"
    return mails, local(link)


async def sign_in(harness, client, email, password=PASSWORD):
    return await post(harness, client, "/connexion", email=email, password=password)


async def test_sign_up_confirm_link_and_see_own_file(accounts_harness):
    client = await accounts_harness.client()
    email = "camille.martin@exemple.test"
    # Before confirming, the account cannot sign in (and so cannot see any data).
    await post(accounts_harness, client, "/inscription", email=email)
    refused = await sign_in(accounts_harness, client, email)
    assert refused.status_code == 400 and "mot de passe incorrect" in refused.text  # it has none yet
    accounts_harness.inbox.messages.clear()
    _, link = await sign_up_and_confirm(accounts_harness, client, email)
    # The link is single use.
    again = await client.get(link)
    assert again.status_code == 400 and "pas valide ou a expiré" in again.text

    response = await sign_in(accounts_harness, client, email)
    assert response.status_code == 303 and response.headers["location"] == "/solde"
    assert (await client.get("/solde")).headers["location"] == "/compte/lier"
    linked = await post(accounts_harness, client, "/compte/lier", neph=MARTIN.neph, licence_day="18", licence_month="6",
                        licence_year="2009", birth_day="12",
                        birth_month="04", birth_year="1990", family_name="Martin")
    assert linked.status_code == 303
    assert (await client.get("/solde")).status_code == 200


async def test_verification_link_expires_after_12_hours(accounts_harness):
    client = await accounts_harness.client()
    email = "lent@exemple.test"
    await post(accounts_harness, client, "/inscription", email=email)
    await wait_for_mail(accounts_harness.inbox, email)
    link = local(accounts_harness.inbox.links(email)[-1])
    accounts_harness.clock.advance(12 * 3600 + 1)
    assert (await client.get(link)).status_code == 400
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    accounts_harness.clock.advance(-(12 * 3600 + 1))
    assert (await client.get(tampered)).status_code == 400  # the signature no longer matches


@pytest.mark.parametrize(("password", "problem"), [
    ("court", "au moins 12 caractères"),
    ("password1234", "plus courants"),
    ("azertyuiop12", "plus courants"),
])
async def test_weak_passwords_are_refused_with_a_reason(accounts_harness, password, problem):
    client = await accounts_harness.client()
    email = "x@exemple.test"
    await post(accounts_harness, client, "/inscription", email=email)
    await wait_for_mail(accounts_harness.inbox, email)
    page = await client.get(local(accounts_harness.inbox.links(email)[-1]))
    response = await post(accounts_harness, client, "/compte/confirmer-email", jeton=hidden(page.text, "jeton"),
                          password=password)
    assert response.status_code == 400 and problem in response.text
    assert 'href="#password"' in response.text  # the error summary links to the field


async def test_sign_up_with_a_taken_address_answers_the_same(accounts_harness):
    first, second = await accounts_harness.client(), await accounts_harness.client()
    email = "deja@exemple.test"
    await sign_up_and_confirm(accounts_harness, first, email)
    new = await post(accounts_harness, second, "/inscription", email="nouveau@exemple.test")
    taken = await post(accounts_harness, second, "/inscription", email=email)
    assert taken.status_code == new.status_code == 200
    assert taken.text.replace(email, "X") == new.text.replace("nouveau@exemple.test", "X")
    mails = await wait_for_mail(accounts_harness.inbox, email, count=2)
    assert mails[-1]["subject"] == "Vous avez déjà un compte"  # the owner is told, not the visitor


async def test_password_reset_by_mail_link(accounts_harness):
    client = await accounts_harness.client()
    email = "oubli@exemple.test"
    await sign_up_and_confirm(accounts_harness, client, email)
    other = await accounts_harness.client()
    await sign_in(accounts_harness, other, email)  # a session elsewhere, ended by the reset

    unknown = await post(accounts_harness, client, "/mot-de-passe-oublie", email="personne@exemple.test")
    known = await post(accounts_harness, client, "/mot-de-passe-oublie", email=email)
    assert unknown.status_code == known.status_code == 200 and unknown.text == known.text
    await wait_for_mail(accounts_harness.inbox, email, count=2)
    assert not accounts_harness.inbox.to("personne@exemple.test")
    link = local([link for link in accounts_harness.inbox.links(email) if "mot-de-passe/nouveau" in link][-1])
    page = await client.get(link)
    new_password = "une toute nouvelle phrase"
    done = await post(accounts_harness, client, "/mot-de-passe/nouveau", jeton=hidden(page.text, "jeton"),
                      password=new_password)
    assert done.status_code == 303
    assert (await client.get(link)).status_code == 400  # single use
    assert (await sign_in(accounts_harness, client, email)).status_code == 400
    assert (await sign_in(accounts_harness, client, email, new_password)).status_code == 303
    assert (await other.get("/compte")).status_code == 303  # other sessions ended


async def test_reset_link_expires_after_one_hour(accounts_harness):
    client = await accounts_harness.client()
    email = "heure@exemple.test"
    await sign_up_and_confirm(accounts_harness, client, email)
    await post(accounts_harness, client, "/mot-de-passe-oublie", email=email)
    await wait_for_mail(accounts_harness.inbox, email, count=2)
    link = local([link for link in accounts_harness.inbox.links(email) if "mot-de-passe/nouveau" in link][-1])
    accounts_harness.clock.advance(3600)
    assert (await client.get(link)).status_code == 400


async def test_sign_in_lockout_is_the_same_for_known_and_unknown_addresses_and_clears(accounts_harness):
    client = await accounts_harness.client()
    email = "cible@exemple.test"
    await sign_up_and_confirm(accounts_harness, client, email)
    answers = {}
    for address in (email, "inconnu@exemple.test"):
        statuses = []
        for _ in range(SIGNIN_PER_ADDRESS.attempts):
            response = await sign_in(accounts_harness, client, address, "pas le bon mot de passe")
            statuses.append(response.status_code)
            assert "Adresse électronique ou mot de passe incorrect" in response.text
        locked = await sign_in(accounts_harness, client, address, PASSWORD if address == email else "x" * 12)
        assert locked.status_code == 429 and "Trop de tentatives" in locked.text
        answers[address] = (statuses, locked.text.replace(address, "X"))
    assert answers[email] == answers["inconnu@exemple.test"]  # nothing tells them apart
    accounts_harness.clock.advance(SIGNIN_PER_ADDRESS.window + 1)
    assert (await sign_in(accounts_harness, client, email)).status_code == 303


async def test_rate_limit_per_client_address_on_sign_up(accounts_harness):
    client = await accounts_harness.client()
    statuses = [
        (await post(accounts_harness, client, "/inscription", email=f"n{i}@exemple.test")).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]
    accounts_harness.clock.advance(3601)
    assert (await post(accounts_harness, client, "/inscription", email="n9@exemple.test")).status_code == 200


async def test_change_password_change_email_and_delete(accounts_harness):
    client = await accounts_harness.client()
    email = "change@exemple.test"
    await sign_up_and_confirm(accounts_harness, client, email)
    await sign_in(accounts_harness, client, email)
    other = await accounts_harness.client()
    await sign_in(accounts_harness, other, email)

    bad = await post(accounts_harness, client, "/compte/mot-de-passe", current_password="faux mot de passe",
                     password="une autre phrase longue")
    assert bad.status_code == 400 and "actuel est incorrect" in bad.text
    good = await post(accounts_harness, client, "/compte/mot-de-passe", current_password=PASSWORD,
                      password="une autre phrase longue")
    assert good.status_code == 303
    assert (await client.get("/compte")).status_code == 200  # this session stays
    assert (await other.get("/compte")).status_code == 303  # the others end

    new_email = "nouvelle@exemple.test"
    changed = await post(accounts_harness, client, "/compte/email", email=new_email,
                         current_password="une autre phrase longue")
    assert changed.status_code == 303
    await wait_for_mail(accounts_harness.inbox, new_email)
    assert (await client.get("/compte")).text.count(email) >= 1  # unchanged until confirmed
    link = local(accounts_harness.inbox.links(new_email)[-1])
    page = await client.get(link)
    await post(accounts_harness, client, "/compte/confirmer-email", jeton=hidden(page.text, "jeton"))
    assert new_email in (await client.get("/compte")).text

    refused = await post(accounts_harness, client, "/compte/supprimer", current_password="faux mot de passe")
    assert refused.status_code == 400
    deleted = await post(accounts_harness, client, "/compte/supprimer", current_password="une autre phrase longue")
    assert deleted.status_code == 303
    assert (await client.get("/compte")).status_code == 303
    assert (await sign_in(accounts_harness, client, new_email, "une autre phrase longue")).status_code == 400


async def test_reset_requests_are_limited_per_address_whether_or_not_it_exists(accounts_harness):
    client = await accounts_harness.client()
    for address in ("existe@exemple.test", "nexistepas@exemple.test"):
        if address == "existe@exemple.test":
            await sign_up_and_confirm(accounts_harness, client, address)
        statuses = [(await post(accounts_harness, client, "/mot-de-passe-oublie", email=address)).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429], address


async def test_sign_in_spraying_many_addresses_from_one_client_is_stopped(accounts_harness):
    from backend.accounts.ratelimit import SIGNIN_PER_CLIENT

    client = await accounts_harness.client()
    statuses = [
        (await sign_in(accounts_harness, client, f"cible{i}@exemple.test", "mauvais mot de passe")).status_code
        for i in range(SIGNIN_PER_CLIENT.attempts + 1)
    ]
    assert statuses == [400] * SIGNIN_PER_CLIENT.attempts + [429]


SQUATTER_PASSWORD = "le mot de passe du squatteur"


async def test_an_address_typed_first_by_someone_else_never_keeps_their_password(accounts_harness):
    from backend.accounts.passwords import hash_password
    from backend.accounts.testing import create_session

    harness, victim_email = accounts_harness, "proprietaire@exemple.test"
    # The squatter got there first, as sign-up allowed before: the owner's address with the
    # squatter's password, and even a session of that account.
    async with harness.db.write() as conn:
        cursor = await conn.execute("INSERT INTO accounts (email, password_hash, created_at) VALUES (?, ?, ?) RETURNING id",
                                    (victim_email, hash_password(SQUATTER_PASSWORD), harness.clock()))
        (account_id,) = tuple(await cursor.fetchone())
    squatter = await harness.client()
    squatter.cookies.set(harness.accounts.sessions.cookie_name, await create_session(harness.db, account_id, clock=harness.clock),
                         domain="testserver.local")
    # Today's sign-up takes no password at all: typing the address again only sends a link to it.
    assert (await post(harness, squatter, "/inscription", email=victim_email, password=SQUATTER_PASSWORD)).status_code == 200
    await wait_for_mail(harness.inbox, victim_email)
    squatters_link = local(harness.inbox.links(victim_email)[0])

    # The owner opens the link the squatter's sign-up sent: they must choose their own password.
    owner = await harness.client()
    page = await owner.get(squatters_link)
    assert page.status_code == 200 and 'name="password"' in page.text
    missing = await post(harness, owner, "/compte/confirmer-email", jeton=hidden(page.text, "jeton"), password="")
    assert missing.status_code == 400 and 'href="#password"' in missing.text
    confirmed = await post(harness, owner, "/compte/confirmer-email", jeton=hidden(page.text, "jeton"), password=PASSWORD)
    assert confirmed.status_code == 303

    assert (await sign_in(harness, squatter, victim_email, SQUATTER_PASSWORD)).status_code == 400
    assert (await squatter.get("/compte")).status_code == 303  # the squatter's session ended
    assert (await sign_in(harness, owner, victim_email, PASSWORD)).status_code == 303
    assert (await owner.get("/compte")).status_code == 200


async def test_a_new_address_for_someone_elses_account_needs_that_account_signed_in(accounts_harness):
    harness, victim_email = accounts_harness, "victime@exemple.test"
    squatter = await harness.signed_in(None, email="squatteur@exemple.test")
    changed = await post(harness, squatter, "/compte/email", email=victim_email, current_password=squatter.password)
    assert changed.status_code == 303
    [notice] = await wait_for_mail(harness.inbox, victim_email)
    assert notice["subject"] == "Confirmez la nouvelle adresse de votre compte"
    link = local(harness.inbox.links(victim_email)[-1])

    # The owner of the address, not signed in to that account, cannot attach it to the account.
    owner = await harness.client()
    page = await owner.get(link)
    assert page.status_code == 403 and "Connectez-vous" in page.text
    token = re.search(r"jeton=([^&]+)", link).group(1)
    from urllib.parse import unquote
    refused = await post(harness, owner, "/compte/confirmer-email", jeton=unquote(token), password=PASSWORD)
    assert refused.status_code == 403
    assert (await harness.accounts.service.account(squatter.account_id))["email"] == "squatteur@exemple.test"
    # The address stays free for its owner.
    await sign_up_and_confirm(harness, owner, victim_email)
    assert (await sign_in(harness, owner, victim_email, PASSWORD)).status_code == 303
