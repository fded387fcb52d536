"""The attestation of driving rights: page block and PDF, sealed and kept like the statement.

What it says is `facts.rights_facts(kind="attestation", with_balance=False)`: identity, status,
each category with its dates and validity, restrictions, a current suspension — no points and
no offences, as the official ADCS (facts.py cites the sources). It is valid four months from
issue (`facts.ATTESTATION_MONTHS`) and says so on its face; its short code and QR code lead to
`/verifier`, which shows the same facts while it is valid and not revoked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
import msgspec
from jinja2_fragments import render_block
from markupsafe import escape

from backend.statement.documents import IssuedDocument
from backend.law.dates import PARIS
from backend.records.service import LicenceFile
from backend.statement.facts import ATTESTATION_MONTHS, months_later, rights_facts
from backend.statement.model import Facts
from backend.statement.pdf import document_html
from backend.statement.render import VERIFY_PATH, qr_data_uri

TEMPLATE = "pages/proof/attestation.html"
TITLE = "Attestation de droits à conduire"


def attestation_facts(file: LicenceFile) -> Facts:
    """The facts to seal (issue and validity dates are set when the document is issued)."""
    return rights_facts(file, kind="attestation", with_balance=False, issued_at=None, valid_until=None)


def validity_end(now: dt.datetime) -> dt.datetime:
    return months_later(now.replace(microsecond=0), ATTESTATION_MONTHS)


class Attestation(msgspec.Struct, frozen=True, kw_only=True):
    document: IssuedDocument
    verify_base: str
    verify_url: str  # carried by the QR code: the full seal, checkable offline
    qr: str


def present(document: IssuedDocument, base_url: str) -> Attestation:
    verify_base = base_url.rstrip("/") + VERIFY_PATH
    verify_url = f"{verify_base}?code={document.seal_code}"
    return Attestation(document=document, verify_base=verify_base, verify_url=verify_url, qr=qr_data_uri(verify_url))


def context(attestation: Attestation) -> dict[str, Any]:
    document = attestation.document
    return {"a": attestation, "f": document.facts, "document": document, "short_code": document.printed_code,
            "qr": attestation.qr, "verify_base": attestation.verify_base, "months": ATTESTATION_MONTHS,
            "page_title": TITLE}


def title(attestation: Attestation) -> str:
    document = attestation.document
    return f"{TITLE} – NEPH {document.neph} – {document.issued_at.astimezone(PARIS):%d/%m/%Y}"


def pdf_document(env: jinja2.Environment, attestation: Attestation, extra: dict[str, Any] | None = None) -> str:
    """The whole HTML document WeasyPrint renders: the page's `attestation` block, nothing else."""
    body = render_block(env, TEMPLATE, "attestation", {**(extra or {}), **context(attestation)})
    return document_html(body, str(escape(title(attestation))))


def pdf_filename(attestation: Attestation) -> str:
    document = attestation.document
    return f"attestation-droits-{document.neph}-{document.issued_at.astimezone(PARIS):%Y-%m-%d}.pdf"
