"""What the holder sees about their own file on /compte: who is linked to it, who viewed it —
and the one action on it, removing another account's link.

Only a person whose FranceConnect sign-in matched the file by identity pivot in this session
(`Viewer.holder_proven`) may remove a link: knowing the NEPH, birth date, name and licence date
is what an intruder might have too, so a link made that way cannot evict anyone. The removed
account is told by mail and may not link the file again through the form (`link_refusals`).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.accounts import mail
from backend.accounts.access_log import AccessLog
from backend.accounts.clock import Clock
from backend.accounts.service import AccountError, Mail
from backend.accounts.session import Viewer
from backend.database import Store

ACCESS_SHOWN = 50
UTC = dt.timezone.utc

# Route templates of the file's pages, as the holder knows them (other areas' pages added later
# show their path until named here).
PAGE_NAMES = {
    "/solde": "Solde de points",
    "/historique": "Historique du dossier",
    "/calendrier": "Calendrier des récupérations",
    "/calendrier.ics": "Calendrier (fichier à importer)",
    "/permis": "Permis et catégories",
    "/releve": "Relevé d'information intégral",
    "/releve.pdf": "Relevé d'information intégral (PDF)",
    "/attestation": "Attestation des droits à conduire",
    "/attestation.pdf": "Attestation des droits à conduire (PDF)",
    "/partage": "Codes de partage",
    "/consulter": "Consultation par un tiers (code de partage)",
}
CHANNELS = {
    "password": "Compte avec adresse électronique et mot de passe",
    "franceconnect": "Compte connecté par FranceConnect",
    "share_code": "Code de partage (sans compte)",
}
REFUSED = "Ce lien ne peut pas être retiré."
NOT_PROVEN = ("Pour retirer un lien, connectez-vous avec FranceConnect : votre identité prouve que le "
              "dossier est le vôtre.")


class LinkedAccount(msgspec.Struct, frozen=True):
    account_id: int
    label: str                  # masked address, or what the account has instead
    channels: list[str]         # how it signs in
    linked_at: dt.datetime | None
    how: str                    # how the link was made
    is_viewer: bool


class AccessEntry(msgspec.Struct, frozen=True):
    viewed_at: dt.datetime
    who: str
    page: str
    channel: str
    place: str | None


def masked(email: str) -> str:
    """`ca…@exemple.test`: enough for the holder to recognise their own address, not to learn another's."""
    local, _, domain = email.rpartition("@")
    return f"{local[:2]}…@{domain}" if local else "…"


def _moment(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, UTC)


def _moment_if_any(epoch: int | None) -> dt.datetime | None:
    return _moment(epoch) if epoch is not None else None


class Transparency:
    def __init__(self, db: Store, access_log: AccessLog, clock: Clock) -> None:
        self.db = db
        self.access_log = access_log
        self.clock = clock

    async def linked_accounts(self, neph: str, viewer: Viewer) -> list[LinkedAccount]:
        async with self.db.read() as conn:
            cursor = await conn.execute(
                "SELECT id, email, email_verified_at, password_hash IS NOT NULL, fc_sub IS NOT NULL, linked_at, linked_by"
                " FROM accounts WHERE neph = ? ORDER BY linked_at, id", (neph,))
            rows = [tuple(row) for row in await cursor.fetchall()]
        linked = []
        for account_id, email, verified, has_password, has_fc, linked_at, linked_by in rows:
            channels = []
            if email and has_password and verified:
                channels.append("Adresse électronique et mot de passe")
            if has_fc:
                channels.append("FranceConnect")
            label = masked(email) if email and verified else "Compte sans adresse électronique"
            how = {"franceconnect": "Par FranceConnect (identité vérifiée)",
                   "form": "Avec le numéro de dossier et les dates du permis"}.get(linked_by or "", "Non enregistré (lien ancien)")
            linked.append(LinkedAccount(account_id, label, channels or ["Aucun moyen de connexion actif"],
                                        _moment_if_any(linked_at), how, account_id == viewer.account_id))
        return linked

    async def access(self, neph: str, viewer: Viewer) -> tuple[list[AccessEntry], int]:
        rows, total = await self.access_log.latest(neph, ACCESS_SHOWN)
        labels: dict[int | None, str] = {a.account_id: a.label for a in await self.linked_accounts(neph, viewer)}
        entries = []
        for row in rows:
            if row["channel"] == "share_code":
                who = row["who"] or "Un tiers (code de partage)"
            elif row["account_id"] == viewer.account_id:
                who = "Vous (ce compte)"
            else:
                who = labels.get(row["account_id"], "Un compte qui n'est plus relié à votre dossier")
            entries.append(AccessEntry(_moment(row["viewed_at"]), who, PAGE_NAMES.get(row["page"], row["page"]),
                                       CHANNELS.get(row["channel"], row["channel"]), row["place"]))
        return entries, total

    async def removable(self, viewer: Viewer, account_id: int) -> LinkedAccount:
        """The other account linked to the viewer's file that the viewer may remove, else AccountError."""
        if not viewer.holder_proven or viewer.neph is None:
            raise AccountError(NOT_PROVEN, status=403)
        for account in await self.linked_accounts(viewer.neph, viewer):
            if account.account_id == account_id and not account.is_viewer:
                return account
        raise AccountError(REFUSED, status=404)

    async def remove(self, viewer: Viewer, account_id: int) -> list[Mail]:
        """Remove `account_id`'s link to the viewer's file; the removed account is told by mail."""
        await self.removable(viewer, account_id)
        now = self.clock()
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "UPDATE accounts SET neph = NULL, linked_at = NULL, linked_by = NULL WHERE id = ? AND neph = ?"
                " RETURNING email, email_verified_at", (account_id, viewer.neph))
            row = await cursor.fetchone()
            if row is None:  # removed meanwhile (another tab)
                return []
            await conn.execute(
                "INSERT INTO link_refusals (account_id, neph, refused_at) VALUES (?, ?, ?)"
                " ON CONFLICT (account_id, neph) DO UPDATE SET refused_at = excluded.refused_at",
                (account_id, viewer.neph, now))
        email, verified = tuple(row)
        return [Mail(email, *mail.link_removed_mail(now))] if email and verified else []
