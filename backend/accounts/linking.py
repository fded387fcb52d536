"""Linking an account to its licence file: NEPH + birth date + family name + licence date.

The first three are on the card but also on many papers a third party may hold (a photocopy
of the card lacks none of them, a rental or fleet contract has most). The fourth is a fact
the holder has at hand and the register holds for every file: the date the licence (or one of
its categories) was obtained, printed in column 10 on the back of the card next to each
category. Why this date rather than the others the issue suggests:
- the card's own issue date (field 4a) is not in the register's record (record-format.md):
  a card is re-issued (renewal every 15 years, loss, change of address on old cards) without
  any event in the file, so it could not be checked;
- the date of a letter 48 is not in the record either, and most drivers never get one (only
  48SI, for an invalidated licence, is an event: `invalidation_notified`).
Every file holds at least one `licence_issued` (record-format.md), so every holder can answer.
Dates of events the register cancelled are not accepted (the law's definition of what is in
force: `backend.law.known_file`).

No oracle: whatever is wrong (unknown NEPH, wrong birth date, name or licence date, a link the
holder removed) the answer is the same sentence, after the same reads (the holder and the
file's events are read, and the dates compared, even when the identity does not match). Failures are counted per account, per client address and per file (so a
spread-out guess of one file's licence date is stopped too), whether or not the file exists.
Input that is malformed on its face (a date that does not exist, a NEPH of the wrong length)
says what to fix: that reveals nothing about any file, and is not counted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

from backend.accounts import mail, ratelimit as rl
from backend.accounts.clock import Clock
from backend.accounts.service import AccountError, Mail, too_many
from backend.database import Store, StoreConnection
from backend.law import InvalidRecord, known_file
from backend.law.events import CategoryObtained, Event, LicenceIssued
from backend.register.feed import Holder
from backend.register.repository import FileJoin

NO_MATCH = ("Ces informations ne correspondent à aucun dossier. Vérifiez le numéro de dossier (NEPH), "
            "la date de naissance, le nom de naissance et la date d'obtention tels qu'ils figurent sur votre permis.")
NEPH_RE = re.compile(r"^[0-9A-Z]{12}$")
EARLIEST_YEAR = 1900


class AccountsRegister(Protocol):
    """What accounts read from the register to link an account to a file: the form's facts
    (`Linker`) and FranceConnect's identity pivot (`FranceConnect.match`). The app's register
    (`backend.register.store.RegisterStore`) has them."""

    async def get_events(self, neph: str) -> list[Event]: ...

    async def find_holder_for_link(self, neph: str, birth_date: dt.date, family_name: str) -> Holder | None: ...

    def file_join(self, db: Store) -> FileJoin | None: ...

    async def find_holders_by_pivot(self, family_name: str, given_names: str, birth_date: dt.date,
                                    birth_place: str, birth_country: str, gender: str) -> list[Holder]: ...


def parse_date(day: str, month: str, year: str) -> dt.date | None:
    """The date typed in three fields, or None when it does not exist (day 0, month 13, year 99999…)."""
    parts = []
    for value in (year, month, day):
        value = (value or "").strip()
        if not value.isascii() or not value.isdigit() or len(value) > 4:
            return None
        parts.append(int(value))
    try:
        return dt.date(*parts)
    except ValueError:
        return None


def parse_birth_date(day: str, month: str, year: str) -> dt.date | None:
    return parse_date(day, month, year)


def clean_neph(value: str) -> str:
    # People copy the NEPH with spaces or dashes; the register stores 12 characters.
    return re.sub(r"[\s.-]", "", value or "").upper()


class LinkForm:
    """The linking form, checked on its face: `problems` maps a field to what to fix."""

    def __init__(self, form: dict[str, str], today: dt.date) -> None:
        self.neph = clean_neph(form.get("neph", ""))
        self.family_name = (form.get("family_name") or "").strip()
        self.birth_date = parse_date(form.get("birth_day", ""), form.get("birth_month", ""), form.get("birth_year", ""))
        self.licence_date = parse_date(form.get("licence_day", ""), form.get("licence_month", ""),
                                       form.get("licence_year", ""))
        self.problems: dict[str, str] = {}
        if not self.neph:
            self.problems["neph"] = "Saisissez le numéro de dossier (NEPH)."
        elif not NEPH_RE.match(self.neph):
            self.problems["neph"] = "Le numéro de dossier (NEPH) compte 12 chiffres ou lettres, par exemple 190575100123."
        self._check_date("birth_day", self.birth_date, "La date de naissance", today)
        if not self.family_name:
            self.problems["family_name"] = "Saisissez votre nom de naissance."
        elif len(self.family_name) > 200:
            self.problems["family_name"] = "Le nom de naissance est trop long (200 caractères au plus)."
        self._check_date("licence_day", self.licence_date, "La date d'obtention du permis", today)

    def _check_date(self, field: str, value: dt.date | None, what: str, today: dt.date) -> None:
        if value is None:
            self.problems[field] = f"{what} doit être une date qui existe, en chiffres, par exemple 27 3 1985."
        elif not dt.date(EARLIEST_YEAR, 1, 1) <= value <= today:
            self.problems[field] = f"{what} doit être comprise entre {EARLIEST_YEAR} et aujourd'hui."


def licence_dates(events: list[Event], as_of: dt.date) -> set[dt.date]:
    """Dates printed in column 10 of the card: when the licence and each later category were obtained."""
    try:
        kept = known_file(events, as_of).in_force
    except InvalidRecord:  # e.g. a cycle of cancellations: the file still has its dates, keep them all
        kept = list(events)
    dates = {e.issued_on for e in kept if isinstance(e, LicenceIssued)}
    dates |= {e.obtained_on for e in kept if isinstance(e, CategoryObtained)}
    return dates


class Linker:
    def __init__(self, db: Store, register: AccountsRegister, limiter: rl.RateLimiter, clock: Clock, *,
                 base_url: str = "") -> None:
        self.db = db
        self.register = register
        self.limiter = limiter
        self.clock = clock
        self.base_url = base_url.rstrip("/")

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc).date()

    async def link(self, account_id: int, form: LinkForm, client: str) -> tuple[str, list[Mail]]:
        """Link the account to the file the form designates: (neph, notices to send)."""
        keys = [rl.account_key("link", account_id), rl.client_key("link", client), rl.file_key("link", form.neph)]
        if limit := await self.limiter.blocked([(keys[0], rl.LINK_PER_ACCOUNT), (keys[1], rl.LINK_PER_CLIENT),
                                                (keys[2], rl.LINK_PER_FILE)]):
            raise too_many(limit)
        if form.problems:
            raise AccountError(next(iter(form.problems.values())), next(iter(form.problems)))
        neph, birth_date = form.neph, form.birth_date
        assert birth_date is not None  # a date that does not exist is one of `form.problems`
        holder = await self.register.find_holder_for_link(neph, birth_date, form.family_name)
        # The file's events are read and its dates compared even when the identity did not match:
        # the time taken then depends on whether the NEPH exists, never on which fact was wrong.
        events = await self.register.get_events(neph)
        date_matches = form.licence_date in licence_dates(events, self.today())
        refused = await self._refused(account_id, neph)
        if holder is None or not date_matches or refused:
            await self.limiter.hit(keys)
            raise AccountError(NO_MATCH)
        await self.limiter.clear([keys[0]])
        async with self.db.write() as conn:
            mails = await self.set_link(conn, account_id, holder.neph, "form")
        return holder.neph, mails

    async def _refused(self, account_id: int, neph: str) -> bool:
        async with self.db.read() as conn:
            cursor = await conn.execute("SELECT 1 FROM link_refusals WHERE account_id = ? AND neph = ?",
                                        (account_id, neph))
            return await cursor.fetchone() is not None

    async def set_link(self, conn: StoreConnection, account_id: int, neph: str, by: str) -> list[Mail]:
        """Link `account_id` to `neph` (`by` 'form' or 'franceconnect') inside the caller's write
        transaction; a new link tells every other account linked to the file (verified address)."""
        cursor = await conn.execute("SELECT neph FROM accounts WHERE id = ?", (account_id,))
        row = await cursor.fetchone()
        now = self.clock()
        if row is not None and row[0] == neph:
            # The same link again (a FranceConnect sign-in re-matching): it keeps its date, and a
            # proof by identity replaces one by typed facts; nothing new to tell.
            await conn.execute("UPDATE accounts SET linked_by = ? WHERE id = ? AND (? = 'franceconnect' OR linked_by IS NULL)",
                               (by, account_id, by))
            return []
        await conn.execute("UPDATE accounts SET neph = ?, linked_at = ?, linked_by = ? WHERE id = ?",
                           (neph, now, by, account_id))
        cursor = await conn.execute(
            "SELECT email FROM accounts WHERE neph = ? AND id != ? AND email IS NOT NULL AND email_verified_at IS NOT NULL",
            (neph, account_id))
        recipients = [r[0] for r in await cursor.fetchall()]
        subject, body = mail.new_link_mail(now, by, f"{self.base_url}/compte")
        return [Mail(to, subject, body) for to in recipients]

    async def unlink(self, account_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute("UPDATE accounts SET neph = NULL, linked_at = NULL, linked_by = NULL WHERE id = ?",
                               (account_id,))
