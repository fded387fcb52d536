"""Personal accounts: sign-up, address verification, sign-in, reset, changes, deletion.

Every public operation answers the same way whether or not the address has an account
(no enumeration): sign-up and reset always say "we sent you a mail", sign-in always says
"address or password incorrect", and the password hash is checked even for unknown
addresses. Mails to send are returned as `Outbox` entries so the web layer sends them after
the response. Failures raise `AccountError` whose message is a French sentence for the page.
"""

from __future__ import annotations

import asyncio
import re
from typing import TypedDict
from urllib.parse import quote

import msgspec

from backend.accounts import mail, ratelimit as rl
from backend.accounts.clock import Clock
from backend.accounts.passwords import hash_password, password_problem, verify_password
from backend.accounts.session import Sessions
from backend.accounts.tokens import digest, random_token, sign_link_token, unsign_link_token
from backend.database import Store, StoreConnection

VERIFY_SECONDS = 12 * 60 * 60
RESET_SECONDS = 60 * 60
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
BAD_CREDENTIALS = "Adresse électronique ou mot de passe incorrect. Vérifiez-les et réessayez."
BAD_LINK = "Ce lien n'est pas valide ou a expiré. Demandez-en un nouveau."
CHANGE_NEEDS_SIGN_IN = ("Ce lien confirme le changement d'adresse d'un compte existant. Connectez-vous d'abord à ce "
                        "compte, puis ouvrez de nouveau le lien. Si vous n'avez rien demandé, ignorez ce courriel.")


class AccountError(Exception):
    """A refusal to show on the page: French `message`, the form `field` it is about, HTTP `status`."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def too_many(limit: rl.Limit) -> AccountError:
    return AccountError(rl.too_many_message(limit), status=429)


class Mail(msgspec.Struct, frozen=True):
    to: str
    subject: str
    body: str


def normalise_email(value: str) -> str:
    local, _, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else value.strip()


def email_problem(value: str) -> str | None:
    if not value:
        return "Saisissez votre adresse électronique."
    if len(value) > 254 or not EMAIL_RE.match(value):
        return "Saisissez une adresse électronique valide, par exemple nom@exemple.fr."
    return None


class AccountInfo(TypedDict):
    """The signed-in account, as its pages show it (`AccountService.account`)."""

    id: int
    email: str | None
    has_password: int  # a truth value: 0/1 from SQLite, a bool from PostgreSQL
    has_franceconnect: int  # likewise
    neph: str | None
    created_at: int


class AccountService:
    def __init__(self, db: Store, clock: Clock, sessions: Sessions, limiter: rl.RateLimiter,
                 *, secret: str, base_url: str) -> None:
        self.db = db
        self.clock = clock
        self.sessions = sessions
        self.limiter = limiter
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    # --- links -------------------------------------------------------------------------
    async def _new_link(self, conn: StoreConnection, account_id: int, purpose: str, email: str, seconds: int) -> str:
        raw = random_token()
        await conn.execute("DELETE FROM mail_tokens WHERE expires_at <= ?", (self.clock() - 86_400,))
        await conn.execute(
            "INSERT INTO mail_tokens (token_hash, account_id, purpose, email, expires_at) VALUES (?, ?, ?, ?, ?)",
            (digest(raw), account_id, purpose, email, self.clock() + seconds),
        )
        path = "/compte/confirmer-email" if purpose == "verify" else "/mot-de-passe/nouveau"
        return f"{self.base_url}{path}?jeton={quote(sign_link_token(self.secret, purpose, raw))}"

    async def check_link(self, purpose: str, token: str) -> tuple[int, str]:
        """(account_id, email) of a valid unused link, without using it (to show the form)."""
        raw = unsign_link_token(self.secret, purpose, token or "")
        if raw is None:
            raise AccountError(BAD_LINK)
        async with self.db.read() as conn:
            cursor = await conn.execute(
                "SELECT account_id, email, expires_at, used_at FROM mail_tokens WHERE token_hash = ? AND purpose = ?",
                (digest(raw), purpose),
            )
            row = await cursor.fetchone()
        if row is None or row[3] is not None or row[2] <= self.clock():
            raise AccountError(BAD_LINK)
        return row[0], row[1]

    async def _use_link(self, conn: StoreConnection, purpose: str, token: str) -> tuple[int, str]:
        raw = unsign_link_token(self.secret, purpose, token or "")
        if raw is None:
            raise AccountError(BAD_LINK)
        now = self.clock()
        cursor = await conn.execute(
            "UPDATE mail_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING account_id, email",
            (now, digest(raw), purpose, now),
        )
        row = await cursor.fetchone()
        if row is None:
            raise AccountError(BAD_LINK)
        return row[0], row[1]

    # --- sign-up and verification --------------------------------------------------------
    # Sign-up asks only for the address; the password is chosen when the address is confirmed,
    # by whoever opens the link, i.e. the owner of the mailbox. Someone who types another
    # person's address first therefore never sets that account's password (nor holds a session
    # of it): the owner's confirmation sets the only password the account ever had.
    async def sign_up(self, email: str, client: str) -> list[Mail]:
        email = normalise_email(email)
        if problem := email_problem(email):
            raise AccountError(problem, "email")
        if limit := await self.limiter.blocked([(rl.client_key("signup", client), rl.SIGNUP_PER_CLIENT)]):
            raise too_many(limit)
        await self.limiter.hit([rl.client_key("signup", client)])
        async with self.db.write() as conn:
            cursor = await conn.execute("SELECT id, email_verified_at FROM accounts WHERE email = ?", (email,))
            row = await cursor.fetchone()
            if row is None:
                cursor = await conn.execute(
                    "INSERT INTO accounts (email, created_at) VALUES (?, ?) RETURNING id", (email, self.clock()))
                inserted = await cursor.fetchone()
                assert inserted is not None  # INSERT … RETURNING answers the row it wrote
                (account_id,) = tuple(inserted)
                return [Mail(email, *mail.verify_mail(await self._new_link(conn, account_id, "verify", email, VERIFY_SECONDS)))]
            if row[1] is None:  # typed before (by anyone) but never confirmed: a fresh link, same answer
                return [Mail(email, *mail.verify_mail(await self._new_link(conn, row[0], "verify", email, VERIFY_SECONDS)))]
        return [Mail(email, *mail.already_registered_mail(f"{self.base_url}/connexion", f"{self.base_url}/mot-de-passe-oublie"))]

    async def pending_confirmation(self, token: str, viewer_account_id: int | None) -> tuple[str, bool]:
        """(address, is a new account) of a valid verification link, without using it. A link
        that changes the address of an existing account is refused unless its own account is
        signed in here (its opener then knows that account's password)."""
        account_id, email = await self.check_link("verify", token)
        new = await self._is_new(account_id)
        if not new and viewer_account_id != account_id:
            raise AccountError(CHANGE_NEEDS_SIGN_IN, status=403)
        return email, new

    async def _is_new(self, account_id: int) -> bool:
        async with self.db.read() as conn:
            cursor = await conn.execute("SELECT email_verified_at FROM accounts WHERE id = ?", (account_id,))
            row = await cursor.fetchone()
        return row is not None and row[0] is None

    async def confirm_email(self, token: str, password: str, viewer_account_id: int | None) -> bool:
        """Use a verification link; True when it activated a new account. A new account gets
        `password` (the confirmer's own, required), and any session it had ends; an address change
        needs its account signed in."""
        email, new = await self.pending_confirmation(token, viewer_account_id)
        password_hash = None
        if new:
            if problem := password_problem(password, email=email):
                raise AccountError(problem, "password")
            password_hash = await asyncio.to_thread(hash_password, password)
        async with self.db.write() as conn:
            account_id, email = await self._use_link(conn, "verify", token)
            cursor = await conn.execute("SELECT id FROM accounts WHERE email = ? AND id != ?", (email, account_id))
            if await cursor.fetchone() is not None:
                raise AccountError("Cette adresse est déjà utilisée par un autre compte.")
            if new:
                await conn.execute(
                    "UPDATE accounts SET email = ?, password_hash = ?, email_verified_at = ? WHERE id = ?"
                    " AND email_verified_at IS NULL", (email, password_hash, self.clock(), account_id))
                await self.sessions.end_all(conn, account_id)
            else:
                await conn.execute("UPDATE accounts SET email = ? WHERE id = ?", (email, account_id))
        if new:
            await self.limiter.clear([rl.address_key("signin", email)])
        return new

    # --- sign-in ------------------------------------------------------------------------
    async def sign_in(self, email: str, password: str, client: str, old_session: str | None) -> str:
        """A new session id for the account, or AccountError (same message whatever is wrong)."""
        email = normalise_email(email)
        keys = [rl.address_key("signin", email), rl.client_key("signin", client)]
        if limit := await self.limiter.blocked([(keys[0], rl.SIGNIN_PER_ADDRESS), (keys[1], rl.SIGNIN_PER_CLIENT)]):
            raise too_many(limit)
        async with self.db.read() as conn:
            cursor = await conn.execute("SELECT id, password_hash, email_verified_at FROM accounts WHERE email = ?", (email,))
            row = await cursor.fetchone()
        stored = row[1] if row is not None else None
        if not await asyncio.to_thread(verify_password, stored, password):
            await self.limiter.hit(keys)
            raise AccountError(BAD_CREDENTIALS)
        assert row is not None  # without an account there is no hash: verify_password said no
        if row[2] is None:
            raise AccountError("Votre adresse n'est pas encore confirmée : ouvrez le lien reçu par courriel. "
                               "Pour recevoir un nouveau lien, recommencez l'inscription avec la même adresse.")
        await self.limiter.clear([keys[0]])
        async with self.db.write() as conn:
            await self.sessions.end(conn, old_session)
            await self.sessions.purge_expired(conn)
            return await self.sessions.create(conn, row[0])

    async def sign_out(self, session_id: str | None) -> None:
        async with self.db.write() as conn:
            await self.sessions.end(conn, session_id)

    # --- password reset -----------------------------------------------------------------
    async def request_reset(self, email: str, client: str) -> list[Mail]:
        email = normalise_email(email)
        if problem := email_problem(email):
            raise AccountError(problem, "email")
        keys = [rl.address_key("reset", email), rl.client_key("reset", client)]
        if limit := await self.limiter.blocked([(keys[0], rl.RESET_PER_ADDRESS), (keys[1], rl.RESET_PER_CLIENT)]):
            raise too_many(limit)
        await self.limiter.hit(keys)
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "SELECT id FROM accounts WHERE email = ? AND email_verified_at IS NOT NULL AND password_hash IS NOT NULL",
                (email,),
            )
            row = await cursor.fetchone()
            if row is None:
                return []
            return [Mail(email, *mail.reset_mail(await self._new_link(conn, row[0], "reset", email, RESET_SECONDS)))]

    async def reset_password(self, token: str, password: str) -> None:
        account_id, email = await self.check_link("reset", token)
        if problem := password_problem(password, email=email):
            raise AccountError(problem, "password")
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.db.write() as conn:
            await self._use_link(conn, "reset", token)
            await conn.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (password_hash, account_id))
            await conn.execute("UPDATE mail_tokens SET used_at = ? WHERE account_id = ? AND purpose = 'reset' AND used_at IS NULL",
                               (self.clock(), account_id))
            await self.sessions.end_all(conn, account_id)
        await self.limiter.clear([rl.address_key("signin", email)])

    # --- the signed-in account ------------------------------------------------------------
    async def account(self, account_id: int) -> AccountInfo | None:
        async with self.db.read() as conn:
            cursor = await conn.execute(
                "SELECT id, email, password_hash IS NOT NULL, fc_sub IS NOT NULL, neph, created_at FROM accounts WHERE id = ?",
                (account_id,),
            )
            row = await cursor.fetchone()
        if row is None:
            return None
        account_id, email, has_password, has_franceconnect, neph, created_at = tuple(row)
        return AccountInfo(id=account_id, email=email, has_password=has_password, has_franceconnect=has_franceconnect,
                           neph=neph, created_at=created_at)

    async def _check_current_password(self, account_id: int, password: str) -> None:
        async with self.db.read() as conn:
            cursor = await conn.execute("SELECT password_hash FROM accounts WHERE id = ?", (account_id,))
            row = await cursor.fetchone()
        if not await asyncio.to_thread(verify_password, row[0] if row else None, password):
            raise AccountError("Le mot de passe actuel est incorrect.", "current_password")

    async def change_password(self, account_id: int, current: str, new: str, keep_session: str | None) -> list[Mail]:
        await self._check_current_password(account_id, current)
        info = await self.account(account_id)
        if problem := password_problem(new, email=info["email"] if info else None):
            raise AccountError(problem, "password")
        password_hash = await asyncio.to_thread(hash_password, new)
        async with self.db.write() as conn:
            await conn.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (password_hash, account_id))
            await self.sessions.end_all(conn, account_id, keep=keep_session)
        return [Mail(info["email"], *mail.password_changed_mail())] if info and info["email"] else []

    async def change_email(self, account_id: int, password: str, new_email: str) -> list[Mail]:
        new_email = normalise_email(new_email)
        if problem := email_problem(new_email):
            raise AccountError(problem, "email")
        await self._check_current_password(account_id, password)
        info = await self.account(account_id)
        async with self.db.write() as conn:
            link = await self._new_link(conn, account_id, "verify", new_email, VERIFY_SECONDS)
        mails = [Mail(new_email, *mail.verify_change_mail(link))]
        if info and info["email"]:
            mails.append(Mail(info["email"], *mail.email_changed_mail(new_email)))
        return mails

    async def delete_account(self, account_id: int, password: str | None) -> None:
        info = await self.account(account_id)
        if info is None:
            return
        if info["has_password"]:
            await self._check_current_password(account_id, password or "")
        async with self.db.write() as conn:
            await conn.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))
            await conn.execute("DELETE FROM mail_tokens WHERE account_id = ?", (account_id,))
            await conn.execute("DELETE FROM attempts WHERE key = ?", (rl.account_key("link", account_id),))
            await conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
