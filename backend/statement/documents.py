"""Issued statements and attestations, kept under their short code, and checking a code.

Issuing (`Documents.issue`) signs the document's facts (model.Facts: holder, NEPH, status,
balance and ceiling, categories, data date, issue date, validity) under a fresh short code and
keeps them with the full seal. The same facts asked for again the same day get the same
document back (same code, same issue time), so the page and its PDF carry one code and a
driver reloading the page does not pile up records.

Checking (`check_code`) accepts either code:
- the short code (16 characters, typed): its check symbol catches a mistyped character before
  any lookup; the record is found, its seal verified (a row altered in the database fails), then
  revocation and validity are applied; only a valid document shows its facts;
- the full code (QR code): its signature is verified first with nothing but the public key (an
  offline check can do the same), then the record it names gives the facts and the status.
Version 1 codes (statements sealed before short codes) still verify as before, without facts.

A document is deleted `PURGE_AFTER` (90 days) past the end of its validity (statement: 12 months,
attestation: 4 months; facts.py); its code then reads as unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from backend.database import Store
from backend.law.dates import PARIS
from backend.statement.codes import CodeError, grouped, looks_like_short_code, new_code, normalise
from backend.statement.model import Facts
from backend.statement.seal import Keyring, Seal, SealError, facts_digest, read_code, sign, verify

_ENCODER = msgspec.json.Encoder(order="deterministic")
_FACTS = msgspec.json.Decoder(Facts)
REUSE_WITHIN = dt.timedelta(hours=24)
PURGE_AFTER = dt.timedelta(days=90)  # a document is deleted this long after its validity ends (privacy page)
KIND_LABEL = {"statement": "Relevé d'information intégral", "attestation": "Attestation de droits à conduire"}


def _ts(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _dt(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else _moment(seconds)


def canonical_facts(facts: Facts) -> bytes:
    return _ENCODER.encode(facts)


def _basis(facts: Facts) -> bytes:
    """What makes two documents the same one: the facts without their issue and validity dates."""
    return facts_digest(canonical_facts(msgspec.structs.replace(facts, issued_at=None, valid_until=None)))


class IssuedDocument(msgspec.Struct, frozen=True, kw_only=True):
    short_code: str
    kind: str
    neph: str
    issued_at: dt.datetime
    valid_until: dt.datetime
    facts: Facts
    seal_code: str  # the full verification code, as kept (checked, not trusted: _document_check)
    revoked_at: dt.datetime | None

    @property
    def seal(self) -> Seal:
        return read_code(self.seal_code)

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]

    @property
    def printed_code(self) -> str:
        return grouped(self.short_code)

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.valid_until else "valid"


_COLUMNS = "short_code, kind, neph, issued_at, valid_until, facts, seal, revoked_at"


def _row(row: Sequence[Any]) -> IssuedDocument:
    short_code, kind, neph, issued_at, valid_until, facts, seal, revoked_at = tuple(row)
    return IssuedDocument(short_code=short_code, kind=kind, neph=neph, issued_at=_moment(issued_at),
                          valid_until=_moment(valid_until), facts=_FACTS.decode(facts), seal_code=seal,
                          revoked_at=_dt(revoked_at))


class Documents:
    """The `issued_documents` table (migration 0006)."""

    def __init__(self, db: Store) -> None:
        self.db = db

    async def issue(self, keyring: Keyring, facts: Facts, now: dt.datetime, valid_until: dt.datetime) -> IssuedDocument:
        """The sealed document of these facts: today's identical one if any, else a new one."""
        basis = _basis(facts)
        async with self.db.read() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM issued_documents WHERE neph = ? AND kind = ? AND basis = ? AND issued_at > ?"
                " AND revoked_at IS NULL AND valid_until > ? ORDER BY issued_at DESC LIMIT 1",
                (facts.neph, facts.kind, basis, _ts(now - REUSE_WITHIN), _ts(now)))
            row = await cursor.fetchone()
        if row is not None:
            return _row(row)
        issued_at = now.astimezone(dt.UTC).replace(microsecond=0)
        valid_until = valid_until.astimezone(dt.UTC).replace(microsecond=0)
        facts = msgspec.structs.replace(facts, issued_at=issued_at, valid_until=valid_until)
        body = canonical_facts(facts)
        for _ in range(5):  # a collision of 75 random bits will not happen; a retry costs nothing
            short_code = new_code()
            seal = sign(keyring, neph=facts.neph, issued_at=issued_at, digest=facts_digest(body), kind=facts.kind,
                        short_code=short_code, valid_until=valid_until)
            async with self.db.write() as conn:
                cursor = await conn.execute(
                    "INSERT INTO issued_documents (short_code, kind, neph, issued_at, valid_until, basis,"
                    " facts, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (short_code) DO NOTHING",
                    (short_code, facts.kind, facts.neph, _ts(issued_at), _ts(valid_until), basis, body,
                     seal.compact_code))
                if cursor.rowcount == 1:
                    await conn.execute("DELETE FROM issued_documents WHERE valid_until < ?",
                                       (_ts(issued_at - PURGE_AFTER),))
                    return IssuedDocument(short_code=short_code, kind=facts.kind, neph=facts.neph, issued_at=issued_at,
                                          valid_until=valid_until, facts=facts, seal_code=seal.compact_code,
                                          revoked_at=None)
        raise SealError("impossible d'attribuer un code au document")

    async def get(self, short_code: str) -> IssuedDocument | None:
        async with self.db.read() as conn:
            cursor = await conn.execute(f"SELECT {_COLUMNS} FROM issued_documents WHERE short_code = ?", (short_code,))
            row = await cursor.fetchone()
        return _row(row) if row is not None else None

    async def of_holder(self, neph: str) -> list[IssuedDocument]:
        """The holder's documents, newest first."""
        async with self.db.read() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM issued_documents WHERE neph = ? ORDER BY issued_at DESC, short_code", (neph,))
            rows = await cursor.fetchall()
        return [_row(row) for row in rows]

    async def revoke(self, neph: str, short_code: str, now: dt.datetime) -> bool:
        """Revoke one of the holder's own documents (never another's); False if none such."""
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "UPDATE issued_documents SET revoked_at = coalesce(revoked_at, ?) WHERE short_code = ? AND neph = ?",
                (_ts(now), short_code, neph))
            return cursor.rowcount == 1


# --- checking a code ---------------------------------------------------------------------

Outcome = Literal["authentic", "revoked", "expired", "forged", "unknown", "unknown_key", "mistyped"]


class Check(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome
    message: str  # plain French
    seal: Seal | None = None
    document: IssuedDocument | None = None

    @property
    def authentic(self) -> bool:
        return self.outcome == "authentic"

    @property
    def facts(self) -> Facts | None:
        """The signed facts, shown only for a valid document."""
        return self.document.facts if self.authentic and self.document is not None else None


def _sentence(message: str) -> str:
    return message[0].upper() + message[1:] + "."


def _fr(moment: dt.datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %H h %M")


def _document_check(keyring: Keyring, document: IssuedDocument, now: dt.datetime) -> Check:
    forged = Check(outcome="forged",
                   message="Ce document ne peut pas être tenu pour authentique : son enregistrement ne correspond "
                           "plus au cachet apposé lors de son émission.")
    verdict = verify(keyring, document.seal_code)
    seal = verdict.seal
    if seal is None:
        return forged
    if verdict.outcome == "unknown_key":
        return Check(outcome="unknown_key", message=verdict.message, seal=seal)
    if (verdict.outcome != "authentic" or seal.short_code != document.short_code or seal.neph != document.neph
            or seal.kind != document.kind or seal.valid_until != document.valid_until or seal.digest != facts_digest(canonical_facts(document.facts))):
        return forged
    label = document.label
    if document.revoked_at is not None:
        return Check(outcome="revoked", seal=seal, document=document,
                     message=f"Ce document ({label.lower()}) a été émis par ce service mais son titulaire l'a "
                             f"révoqué le {_fr(document.revoked_at)} : il ne vaut plus justificatif et son contenu "
                             "n'est plus affiché.")
    if now >= document.valid_until:
        return Check(outcome="expired", seal=seal, document=document,
                     message=f"Ce document ({label.lower()}) a été émis par ce service mais sa validité a pris fin "
                             f"le {_fr(document.valid_until)} : son contenu n'est plus affiché. Demandez au titulaire "
                             "un document récent.")
    return Check(outcome="authentic", seal=seal, document=document,
                 message=f"Ce code est authentique : {label.lower()} émis par ce service. Comparez les informations "
                         "ci-dessous avec le document que vous avez en main : elles seules font foi.")


async def check_code(documents: Documents, keyring: Keyring, text: str, now: dt.datetime) -> Check:
    """The verdict on a typed short code or a full (QR) code."""
    if looks_like_short_code(text):
        try:
            short_code = normalise(text, what="code de vérification")
        except CodeError as exc:
            return Check(outcome="mistyped", message=_sentence(str(exc)))
        document = await documents.get(short_code)
        if document is None:
            return Check(outcome="unknown",
                         message="Aucun document émis par ce service ne porte ce code. Vérifiez chaque caractère ; "
                                 "s'il est bien recopié, le document n'est pas authentique.")
        return _document_check(keyring, document, now)
    verdict = verify(keyring, text)
    if verdict.outcome == "mistyped":
        return Check(outcome="mistyped", message=verdict.message)
    if not verdict.authentic or verdict.seal is None or verdict.seal.short_code is None:
        # forged, unknown key, or an authentic version 1 code (no facts kept for it)
        return Check(outcome=verdict.outcome, message=verdict.message, seal=verdict.seal)
    document = await documents.get(verdict.seal.short_code)
    if document is None or document.seal_code != verdict.seal.compact_code:
        return Check(outcome="authentic", seal=verdict.seal,
                     message="Ce code est authentique, mais le service ne conserve plus le contenu de ce document : "
                             "seuls le numéro de dossier, la date d'émission et la validité ci-dessous sont garantis.")
    return _document_check(keyring, document, now)
