"""Consent share codes: a driver lets a named third party see their driving rights for a while.

Like the DVLA's "share your driving licence information" (21 days, services-research.md §2):
the driver names the purpose (employer, rental company…), chooses what it shows (rights only,
or rights and balance), a validity of 1 to 21 days, single or multiple use; revokes it at any
time; sees every use. The third party types the code on a public page, without an account.

Codes are 20 random base-32 digits and a check symbol (codes.py, 100 bits): guessing one is out
of reach even without the page's rate limit, and only their SHA-256 is stored. A single-use
code is consumed in the same write transaction that checks it, so two simultaneous opens cannot
both succeed.

Where a use came from is kept in coarse terms only (`coarse_origin`): the browser family and
system from the User-Agent, and the network the address belongs to truncated to /16 (IPv4) or
/32 (IPv6) — about an operator's regional block, which tells a driver "a phone on a mobile
network" from "a computer on a company's network" without identifying anyone. The raw address
is never written: it lives in memory for the request (and, HMAC'd, an hour in the rate-limit
table, throttle.py). The uses are deleted with their code (`PURGE_AFTER` past its end).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from backend.database import Store
from backend.statement.codes import SHARE_DIGITS, CodeError, grouped, new_share_code, normalise

MAX_DAYS = 21
PURGE_AFTER = dt.timedelta(days=90)  # a code and its uses are deleted this long after its end
PURPOSES = {
    "employeur": "Employeur",
    "location": "Location de véhicule",
    "assurance": "Assurance",
    "autre": None,  # the driver's own words (purpose_other)
}
PURPOSE_MAX = 60
SHOWS = {"rights": "Droits à conduire seulement", "rights_balance": "Droits à conduire et solde de points"}


class ShareFormError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class ShareRequest(msgspec.Struct, frozen=True, kw_only=True):
    purpose: str
    shows: str
    days: int
    single_use: bool


def parse_form(form: dict[str, str]) -> ShareRequest:
    """The driver's choices, or ShareFormError {field id: message} for every field at fault."""
    errors: dict[str, str] = {}
    kind = form.get("purpose", "")
    purpose = PURPOSES.get(kind) if kind in PURPOSES else None
    if kind not in PURPOSES:
        errors["purpose"] = "Indiquez à qui vous destinez ce code."
    elif kind == "autre":
        purpose = " ".join(form.get("purpose_other", "").split())
        if not purpose:
            errors["purpose_other"] = "Précisez à qui vous destinez ce code, par exemple « Agence d'intérim »."
        elif len(purpose) > PURPOSE_MAX:
            errors["purpose_other"] = f"Le destinataire tient en {PURPOSE_MAX} caractères au plus ({len(purpose)} saisis)."
        elif any(ord(c) < 32 for c in purpose):
            errors["purpose_other"] = "Le destinataire ne peut contenir que des lettres, chiffres et ponctuation."
    shows = form.get("shows", "")
    if shows not in SHOWS:
        errors["shows"] = "Choisissez ce que le code permet de voir."
    days_text = form.get("days", "").strip()
    days = 0
    if not re.fullmatch(r"\d{1,3}", days_text):
        errors["days"] = f"Indiquez une durée en jours, en chiffres, de 1 à {MAX_DAYS}."
    else:
        days = int(days_text)
        if not 1 <= days <= MAX_DAYS:
            errors["days"] = f"La durée va de 1 à {MAX_DAYS} jours ({days} saisi)."
    use = form.get("use", "")
    if use not in ("single", "multiple"):
        errors["use"] = "Choisissez si le code sert une seule fois ou plusieurs."
    if errors:
        raise ShareFormError(errors)
    return ShareRequest(purpose=purpose or "", shows=shows, days=days, single_use=use == "single")


class Use(msgspec.Struct, frozen=True, kw_only=True):
    used_at: dt.datetime
    origin: str


ShareState = Literal["active", "revoked", "expired", "used"]


class Share(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    hint: str  # the code's last four characters
    neph: str
    purpose: str
    shows: str
    single_use: bool
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    uses: list[Use] = []

    @property
    def shows_label(self) -> str:
        return SHOWS[self.shows]

    @property
    def with_balance(self) -> bool:
        return self.shows == "rights_balance"

    def state(self, now: dt.datetime) -> ShareState:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        if self.single_use and self.uses:
            return "used"
        return "active"


STATE_LABEL = {"active": "Actif", "revoked": "Révoqué", "expired": "Expiré", "used": "Utilisé"}

OpenOutcome = Literal["ok", "unknown", "revoked", "expired", "used", "mistyped"]


def _ts(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _dt(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else _moment(seconds)


def code_hash(code: str) -> str:
    return hashlib.sha256(b"pointspermis share code\x00" + code.encode()).hexdigest()


_COLUMNS = "id, hint, neph, purpose, shows, single_use, created_at, expires_at, revoked_at"


def _share(row: Sequence[Any], uses: list[Use]) -> Share:
    id_, hint, neph, purpose, shows, single_use, created_at, expires_at, revoked_at = tuple(row)
    return Share(id=id_, hint=hint, neph=neph, purpose=purpose, shows=shows, single_use=bool(single_use),
                 created_at=_moment(created_at), expires_at=_moment(expires_at), revoked_at=_dt(revoked_at), uses=uses)


class Shares:
    """The `share_codes` and `share_code_uses` tables (migration 0006)."""

    def __init__(self, db: Store) -> None:
        self.db = db

    async def create(self, neph: str, request: ShareRequest, now: dt.datetime) -> tuple[str, Share]:
        """A new code (returned once, in clear) and its record."""
        created = now.astimezone(dt.UTC).replace(microsecond=0)
        expires = created + dt.timedelta(days=request.days)
        code = new_share_code()
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "INSERT INTO share_codes (code_hash, hint, neph, purpose, shows, single_use, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (code_hash(code), code[-4:], neph, request.purpose, request.shows, int(request.single_use),
                 _ts(created), _ts(expires)))
            inserted = await cursor.fetchone()
            assert inserted is not None  # INSERT … RETURNING answers the row it wrote
            share_id = inserted[0]
            await conn.execute("DELETE FROM share_codes WHERE expires_at < ?", (_ts(created - PURGE_AFTER),))
        return code, Share(id=share_id, hint=code[-4:], neph=neph, purpose=request.purpose, shows=request.shows,
                           single_use=request.single_use, created_at=created, expires_at=expires, revoked_at=None)

    async def of_holder(self, neph: str) -> list[Share]:
        """Every code the holder made (newest first), each with its uses (oldest first)."""
        async with self.db.read() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM share_codes WHERE neph = ? ORDER BY created_at DESC, id DESC", (neph,))
            rows = await cursor.fetchall()
            cursor = await conn.execute(
                "SELECT u.share_id, u.used_at, u.origin FROM share_code_uses u JOIN share_codes s ON s.id = u.share_id"
                " WHERE s.neph = ? ORDER BY u.used_at, u.id", (neph,))
            uses: dict[int, list[Use]] = {}
            for share_id, used_at, origin in await cursor.fetchall():
                uses.setdefault(share_id, []).append(Use(used_at=_moment(used_at), origin=origin))
        return [_share(row, uses.get(row[0], [])) for row in rows]

    async def revoke(self, neph: str, share_id: int, now: dt.datetime) -> bool:
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "UPDATE share_codes SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND neph = ?",
                (_ts(now), share_id, neph))
            return cursor.rowcount == 1

    async def open(self, text: str, now: dt.datetime, origin: str) -> tuple[OpenOutcome, Share | None, str]:
        """A third party opens a code: (outcome, the share if it exists, message for a refusal).
        A successful open is recorded as a use in the same transaction that checks the code."""
        try:
            code = normalise(text, SHARE_DIGITS, what="code de partage")
        except CodeError as exc:
            message = str(exc)
            return "mistyped", None, message[0].upper() + message[1:] + "."
        async with self.db.write() as conn:
            cursor = await conn.execute(f"SELECT {_COLUMNS} FROM share_codes WHERE code_hash = ?", (code_hash(code),))
            row = await cursor.fetchone()
            if row is None:
                return "unknown", None, ("Aucun code de partage en cours ne correspond. Vérifiez chaque caractère, "
                                         "ou demandez un nouveau code au titulaire du permis.")
            cursor = await conn.execute("SELECT count(*) FROM share_code_uses WHERE share_id = ?", (row[0],))
            counted = await cursor.fetchone()
            assert counted is not None  # count(*) answers one row
            (count,) = tuple(counted)
            share = _share(row, [Use(used_at=now, origin="")] * count)
            state = share.state(now)
            if state != "active":
                return state, share, {
                    "revoked": "Le titulaire du permis a révoqué ce code de partage : il ne donne plus accès à rien.",
                    "expired": "Ce code de partage a expiré. Demandez un nouveau code au titulaire du permis.",
                    "used": "Ce code de partage ne servait qu'une fois et a déjà été utilisé. Demandez un nouveau "
                            "code au titulaire du permis.",
                }[state]
            await conn.execute("INSERT INTO share_code_uses (share_id, used_at, origin) VALUES (?, ?, ?)",
                               (share.id, _ts(now), origin))
        return "ok", share, ""


def printed(code: str) -> str:
    return grouped(code)


# --- where a use came from, coarsely -------------------------------------------------------

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
             ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Chromium/", "Chromium"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def coarse_origin(user_agent: str | None, address: str | None) -> str:
    """"Firefox sous Windows, réseau 91.198.x.x" — never the address itself."""
    agent = user_agent or ""
    browser = next((name for token, name in _BROWSERS if token in agent), None)
    system = next((name for token, name in _SYSTEMS if token in agent), None)
    if browser and system:
        who = f"{browser} sous {system}"
    elif browser or system:
        who = f"navigateur {browser}" if browser else f"appareil {system}"
    else:
        who = "navigateur non reconnu"
    try:
        ip = ipaddress.ip_address((address or "").strip("[]"))
    except ValueError:
        return who
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_private or ip.is_link_local:
        return f"{who}, réseau local ou privé"
    if isinstance(ip, ipaddress.IPv4Address):
        a, b = ip.packed[:2]
        return f"{who}, réseau {a}.{b}.x.x"
    network = ipaddress.IPv6Network((ip, 32), strict=False)
    return f"{who}, réseau {network.network_address.compressed.rstrip(':')}::/32"
