"""A sealed statement, and its rendering as a page block and as a PDF.

`issue(file, now, keyring, base_url)` builds the content from the records service's licence
file, signs it and draws the QR code; `context(statement)` is what the template reads;
`pdf_document(env, statement)` renders the template's `statement` block — the very block the
page shows — into a whole document for WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
import msgspec
import segno
from jinja2_fragments import render_block
from markupsafe import escape

from backend.statement.codes import grouped
from backend.law.dates import PARIS
from backend.records.service import LicenceFile
from backend.statement.content import StatementContent, build_content, canonical
from backend.statement.pdf import document_html
from backend.statement.seal import Keyring, Seal, content_digest, sign

TEMPLATE = "pages/statement.html"
VERIFY_PATH = "/verifier"


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    content: StatementContent
    issued_at: dt.datetime
    seal: Seal
    verify_base: str  # "https://…/verifier", printed for people who type the code
    verify_url: str  # the same with ?code=…, carried by the QR code
    qr: str  # data: URI of the QR code (SVG)
    short_code: str | None = None  # printed for typing (codes.py, grouped); None: unstored statement
    valid_until: dt.datetime | None = None  # until when the short code shows the statement's facts


def paris_today(now: dt.datetime) -> dt.date:
    """The statement's `as_of`: today's date in France, where the register's dates are."""
    return now.astimezone(PARIS).date()


def issue(file: LicenceFile, now: dt.datetime, keyring: Keyring, base_url: str) -> Statement:
    """Seal the statement of a `LicenceFile` issued at `now` (timezone-aware) with a version 1
    seal and no record kept (benchmarks and content tests; the routes keep a record, `present`)."""
    content = build_content(file)
    seal = sign(keyring, neph=content.neph, issued_at=now, digest=content_digest(canonical(content)))
    return present(content, seal, base_url)


def present(content: StatementContent, seal: Seal, base_url: str, *, short_code: str | None = None,
            valid_until: dt.datetime | None = None) -> Statement:
    """The statement under its seal (for a kept document: its version 2 seal and short code)."""
    verify_base = base_url.rstrip("/") + VERIFY_PATH
    verify_url = f"{verify_base}?code={seal.compact_code}"
    return Statement(content=content, issued_at=seal.issued_at, seal=seal, verify_base=verify_base,
                     verify_url=verify_url, qr=qr_data_uri(verify_url),
                     short_code=grouped(short_code) if short_code else None, valid_until=valid_until)


def qr_data_uri(text: str) -> str:
    """The QR code as a PNG data: URI (CSP allows img-src data:; the PDF needs no fetch). PNG
    rather than SVG: WeasyPrint draws one image faster than a path of a thousand modules.

    The mask is fixed: letting segno score all eight masks is pure Python and costs several times
    more (docs/performance.md), and any mask gives a standard, scannable code."""
    return segno.make(text, error="m", micro=False, mask=0).png_data_uri(scale=4, border=4)


def context(statement: Statement) -> dict[str, Any]:
    s = statement.content
    return {
        "s": s,
        "seal": statement.seal,
        "issued_at": statement.issued_at,
        "qr": statement.qr,
        "verify_url": statement.verify_url,
        "verify_base": statement.verify_base,
        "short_code": statement.short_code,
        "valid_until": statement.valid_until,
        "extracted_at": s.extracted_at,
        "page_title": "Relevé d'information intégral",
    }


def title(statement: Statement) -> str:
    s = statement.content
    return f"Relevé d'information intégral – NEPH {s.neph} – {statement.issued_at.astimezone(PARIS):%d/%m/%Y}"


def pdf_document(env: jinja2.Environment, statement: Statement, extra: dict[str, Any] | None = None) -> str:
    """The whole HTML document WeasyPrint renders: the page's `statement` block, nothing else."""
    body = render_block(env, TEMPLATE, "statement", {**(extra or {}), **context(statement)})
    return document_html(body, str(escape(title(statement))))


def pdf_filename(statement: Statement) -> str:
    return f"releve-{statement.content.neph}-{statement.issued_at.astimezone(PARIS):%Y-%m-%d}.pdf"
