"""Linking an account to its licence file: NEPH + birth date + family name must all match.

Whatever is wrong (unknown NEPH, wrong date, wrong name, malformed input) the answer is the
same generic sentence, so the form cannot be used to learn whether a NEPH exists or whose
it is; failed attempts are limited per account and per client address.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from backend.accounts import ratelimit as rl
from backend.accounts.clock import Clock
from backend.accounts.service import AccountError, too_many

NO_MATCH = ("Ces informations ne correspondent à aucun dossier. Vérifiez le numéro de dossier (NEPH), "
            "la date de naissance et le nom de naissance tels qu'ils figurent sur votre permis.")
NEPH_RE = re.compile(r"^[0-9A-Z]{12}$")


def parse_birth_date(day: str, month: str, year: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None


def clean_neph(value: str) -> str:
    # People copy the NEPH with spaces or dashes; the register stores 12 characters.
    return re.sub(r"[\s.-]", "", value or "").upper()


class Linker:
    def __init__(self, db: Any, register: Any, limiter: rl.RateLimiter, clock: Clock) -> None:
        self.db = db
        self.register = register
        self.limiter = limiter
        self.clock = clock

    async def link(self, account_id: int, neph: str, birth_date: dt.date | None, family_name: str,
                   client: str) -> str:
        keys = [rl.account_key("link", account_id), rl.client_key("link", client)]
        if limit := await self.limiter.blocked([(keys[0], rl.LINK_PER_ACCOUNT), (keys[1], rl.LINK_PER_CLIENT)]):
            raise too_many(limit)
        neph = clean_neph(neph)
        holder = None
        if NEPH_RE.match(neph) and birth_date is not None and family_name.strip():
            holder = await self.register.find_holder_for_link(neph, birth_date, family_name.strip())
        if holder is None:
            await self.limiter.hit(keys)
            raise AccountError(NO_MATCH)
        await self.limiter.clear([keys[0]])
        await self.set_link(account_id, holder.neph)
        return holder.neph

    async def set_link(self, account_id: int, neph: str | None) -> None:
        async with self.db.write() as conn:
            await conn.execute(
                "UPDATE accounts SET neph = ?, linked_at = ? WHERE id = ?",
                (neph, self.clock() if neph else None, account_id),
            )
