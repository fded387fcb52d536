"""FranceConnect v2 (OpenID Connect, eidas1) through Authlib, as services-research.md §2 requires.

Start: random `state` and `nonce` (43 characters, FranceConnect wants ≥ 32), PKCE S256,
`acr_values=eidas1`, one scope per identity-pivot claim. The state is kept both server-side
(hashed, with the nonce, verifier and return path; single use, 10 minutes) and in a short
cookie of this browser, so a callback URL planted in someone else's browser is refused.

Callback, in one request (FranceConnect's code lives 30 s, its access token 60 s): check
state (+ RFC 9207 `iss`), exchange the code with the verifier, verify the ID token (ES256 or
RS256 only, signature against the provider's JWKS — refetched once when a `kid` is unknown —,
iss, aud/azp, exp, iat, nonce, acr), fetch userinfo, which must be a signed JWT
(`application/jwt`, same checks, same `sub`), then match the identity pivot against the
register. Never the e-mail address.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, TypedDict
from urllib.parse import urlencode

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from backend.accounts.clock import Clock
from backend.accounts.linking import AccountsRegister, Linker
from backend.accounts.service import Mail
from backend.accounts.session import Sessions
from backend.accounts.tokens import digest, random_token
from backend.database import Store
from backend.register.feed import Holder
from backend.settings import Settings

ACR = "eidas1"
ACCEPTED_ACR = ("eidas1", "eidas2", "eidas3")  # a higher level also proves eidas1
ALGORITHMS = ["ES256", "RS256"]  # the only ones FranceConnect v2 offers; never "none" or HS*
SCOPE = "openid given_name family_name birthdate birthplace birthcountry gender"
REQUEST_SECONDS = 10 * 60
LEEWAY = 30
METADATA_SECONDS = 3600
JWKS_MIN_REFRESH = 10


class FranceConnectError(Exception):
    """The sign-in failed; `message` is a French explanation, `code` is logged (never personal data),
    `status` the page's HTTP status (400: this sign-in was refused; 503: FranceConnect could not be
    reached, try again later)."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.message = message
        self.code = code
        self.status = status


UNAVAILABLE = ("FranceConnect ne répond pas pour le moment, la connexion n'a pas pu aboutir. Réessayez dans "
               "quelques minutes ou connectez-vous avec votre adresse électronique.")


def unavailable(step: str, exc: Exception) -> FranceConnectError:
    return FranceConnectError(UNAVAILABLE, f"unreachable:{step}:{type(exc).__name__}", status=503)


# What a fetch from the provider raises when it is down, slow, or answers garbage: transport and
# HTTP status errors, and a body that is not the JSON expected.
FETCH_ERRORS = (httpx2.HTTPError, OSError, ValueError, KeyError, TypeError)


GENERIC = ("La connexion avec FranceConnect n'a pas abouti. Réessayez ; si le problème continue, "
           "connectez-vous avec votre adresse électronique ou revenez plus tard.")
EXPIRED = ("La connexion avec FranceConnect a pris trop de temps ou a été interrompue. "
           "Recommencez depuis la page de connexion.")


class Identity(TypedDict):
    """A verified FranceConnect sign-in (`FranceConnect.callback`)."""

    sub: str
    id_token: str  # the raw ID token, kept for FranceConnect's logout
    claims: dict[str, Any]  # the signed userinfo's claims (the identity pivot)
    return_to: str


class FranceConnect:
    def __init__(self, db: Store, register: AccountsRegister, settings: Settings, clock: Clock, sessions: Sessions,
                 linker: Linker) -> None:
        self.db = db
        self.register = register
        self.clock = clock
        self.sessions = sessions
        self.linker = linker
        self.discovery_url = settings.fc_discovery_url
        self.client_id = settings.fc_client_id
        self.client_secret = settings.fc_client_secret
        base = settings.base_url.rstrip("/")
        self.redirect_uri = settings.fc_redirect_uri or f"{base}/auth/franceconnect/callback"
        self.post_logout_uri = settings.fc_post_logout_redirect_uri or f"{base}/auth/franceconnect/deconnexion"
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    async def close(self) -> None:
        """Nothing held open: each fetch uses its own client, so the object is usable from any event loop."""

    async def _get_json(self, url: str) -> Any:
        async with httpx2.AsyncClient(timeout=10, follow_redirects=False) as http:
            response = await http.get(url)
            response.raise_for_status()
            return response.json()

    # --- provider metadata and keys ----------------------------------------------------------
    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._metadata_at > METADATA_SECONDS:
            self._metadata, self._metadata_at = await self._get_json(self.discovery_url), time.monotonic()
        return self._metadata

    async def keys(self, *, refresh: bool = False) -> KeySet:
        too_soon = self.clock() - self._keys_at < JWKS_MIN_REFRESH  # a bad token cannot make us hammer the JWKS
        if self._keys is None or (refresh and not too_soon):
            try:
                jwks = await self._get_json((await self.metadata())["jwks_uri"])
                keys = KeySet.import_key_set(jwks)
            except (*FETCH_ERRORS, JoseError) as exc:
                raise unavailable("jwks", exc) from exc
            self._keys, self._keys_at = keys, self.clock()
        return self._keys

    async def _decode(self, token: str) -> jwt.Token:
        """Verify a JWS with the provider's keys; refetch the JWKS once if the key is unknown (rotation)."""
        registry = JWSRegistry(algorithms=ALGORITHMS)
        try:
            return jwt.decode(token, await self.keys(), algorithms=ALGORITHMS, registry=registry)
        except (ValueError, JoseError) as first:
            try:
                return jwt.decode(token, await self.keys(refresh=True), algorithms=ALGORITHMS, registry=registry)
            except (ValueError, JoseError):
                raise FranceConnectError(GENERIC, f"signature:{type(first).__name__}") from first

    def _check_claims(self, claims: dict[str, Any], issuer: str, **extra: Any) -> None:
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": self.client_id},
            "sub": {"essential": True},
            **extra,
        }
        try:
            jwt.JWTClaimsRegistry(now=self.clock, leeway=LEEWAY, **options).validate(claims)
        except JoseError as exc:
            raise FranceConnectError(GENERIC, f"claims:{type(exc).__name__}:{getattr(exc, 'claim', '')}") from exc
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise FranceConnectError(GENERIC, "claims:azp")

    # --- start -------------------------------------------------------------------------------
    async def start(self, return_to: str) -> tuple[str, str]:
        """(authorization URL, state) — the caller puts the state in a cookie and redirects."""
        metadata = await self.metadata()
        state, nonce, verifier = random_token(), random_token(), generate_token(64)
        async with self.db.write() as conn:
            now = self.clock()
            await conn.execute("DELETE FROM oidc_requests WHERE created_at <= ?", (now - REQUEST_SECONDS,))
            await conn.execute(
                "INSERT INTO oidc_requests (state_hash, nonce, code_verifier, return_to, created_at) VALUES (?, ?, ?, ?, ?)",
                (digest(state), nonce, verifier, return_to, now),
            )
        client = AsyncOAuth2Client(self.client_id, self.client_secret, scope=SCOPE,
                                   redirect_uri=self.redirect_uri, code_challenge_method="S256")
        async with client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce,
                acr_values=ACR, prompt="login",
            )
        return url, state

    # --- callback ----------------------------------------------------------------------------
    async def _take_request(self, state: str | None, cookie_state: str | None) -> tuple[str, str, str]:
        if not state or not cookie_state or len(state) < 32 or state != cookie_state:
            raise FranceConnectError(EXPIRED, "state:mismatch")
        async with self.db.write() as conn:
            cursor = await conn.execute(
                "DELETE FROM oidc_requests WHERE state_hash = ? RETURNING nonce, code_verifier, return_to, created_at",
                (digest(state),),
            )
            row = await cursor.fetchone()
        if row is None or self.clock() - row[3] > REQUEST_SECONDS:
            raise FranceConnectError(EXPIRED, "state:unknown")
        return row[0], row[1], row[2]

    async def callback(self, params: dict[str, str], cookie_state: str | None) -> Identity:
        """The verified identity: {sub, id_token, claims (userinfo), return_to}."""
        if params.get("error"):
            # The user cancelled, or FranceConnect refused (codes like Y04EA6EF): nothing to verify.
            await self._take_request(params.get("state"), cookie_state) if params.get("state") else None
            raise FranceConnectError(CANCELLED if params["error"] == "access_denied" else GENERIC,
                                     f"provider:{params['error'][:40]}")
        nonce, verifier, return_to = await self._take_request(params.get("state"), cookie_state)
        try:
            metadata = await self.metadata()
            issuer = metadata["issuer"]
        except FETCH_ERRORS as exc:
            raise unavailable("discovery", exc) from exc
        if "iss" in params and params["iss"] != issuer:  # RFC 9207: a mixed-up provider
            raise FranceConnectError(GENERIC, "callback:iss")
        if not params.get("code"):
            raise FranceConnectError(GENERIC, "callback:code")

        # leeway 5 s: the access token lives 60 s, which Authlib's default 60 s leeway would
        # already count as expired.
        client = AsyncOAuth2Client(self.client_id, self.client_secret, redirect_uri=self.redirect_uri,
                                   token_endpoint_auth_method="client_secret_post", leeway=5)
        async with client:
            try:
                token = await client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code",
                                                 code=params["code"], code_verifier=verifier)
            except (httpx2.TransportError, OSError) as exc:  # down or too slow: not this sign-in's fault
                raise unavailable("token", exc) from exc
            except Exception as exc:  # OAuthError (invalid_grant: replayed code, wrong verifier…), HTTP errors
                raise FranceConnectError(GENERIC, f"token:{type(exc).__name__}:{getattr(exc, 'error', '')}") from exc
            if not token.get("id_token") or not token.get("access_token"):
                raise FranceConnectError(GENERIC, "token:incomplete")
            id_token = await self._decode(token["id_token"])
            self._check_claims(id_token.claims, issuer, exp={"essential": True}, iat={"essential": True},
                               nonce={"essential": True, "value": nonce},
                               acr={"essential": True, "values": list(ACCEPTED_ACR)})

            try:
                response = await client.get(metadata["userinfo_endpoint"])
            except (httpx2.TransportError, OSError) as exc:
                raise unavailable("userinfo", exc) from exc
        if response.status_code >= 500:
            raise FranceConnectError(UNAVAILABLE, f"userinfo:http{response.status_code}", status=503)
        if response.status_code != 200:
            raise FranceConnectError(GENERIC, f"userinfo:http{response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip() != "application/jwt":
            raise FranceConnectError(GENERIC, "userinfo:unsigned")  # v2 signs userinfo; plain JSON is refused
        userinfo = await self._decode(response.text.strip())
        self._check_claims(userinfo.claims, issuer, sub={"essential": True, "value": id_token.claims["sub"]})
        return Identity(sub=id_token.claims["sub"], id_token=token["id_token"], claims=userinfo.claims,
                        return_to=return_to)

    # --- matching and signing in ---------------------------------------------------------------
    async def match(self, claims: dict[str, Any]) -> list[Holder]:
        """Register holders with this identity pivot (family name, given names, birth date,
        birth place, birth country, gender)."""
        try:
            birth_date = dt.date.fromisoformat(str(claims.get("birthdate", "")))
        except ValueError:
            return []
        required = ("family_name", "given_name", "gender", "birthcountry")
        if any(not claims.get(name) for name in required):
            return []
        return await self.register.find_holders_by_pivot(
            claims["family_name"], claims["given_name"], birth_date, claims.get("birthplace") or "",
            claims["birthcountry"], claims["gender"],
        )

    async def sign_in(self, identity: Identity, old_session: str | None) -> tuple[str, str | None, list[Mail]]:
        """(new session id, linking problem or None, notices to send). The account is found or
        created by `sub`; a single pivot match links it (and tells the file's other accounts)."""
        holders = await self.match(identity["claims"])
        problem = None if len(holders) == 1 else ("franceconnect-aucun" if not holders else "franceconnect-plusieurs")
        mails: list[Mail] = []
        async with self.db.write() as conn:
            now = self.clock()
            cursor = await conn.execute(
                "INSERT INTO accounts (fc_sub, created_at) VALUES (?, ?) ON CONFLICT (fc_sub) DO UPDATE"
                " SET fc_sub = excluded.fc_sub RETURNING id, neph",
                (identity["sub"], now),
            )
            account = await cursor.fetchone()
            assert account is not None  # INSERT … ON CONFLICT DO UPDATE … RETURNING answers the row either way
            account_id, neph = tuple(account)
            matched = holders[0].neph if len(holders) == 1 else None
            if matched is not None:
                mails = await self.linker.set_link(conn, account_id, matched, "franceconnect")
                # A removal by the holder never applies to the holder's own identity.
                await conn.execute("DELETE FROM link_refusals WHERE account_id = ? AND neph = ?", (account_id, matched))
            elif neph is not None:
                problem = None  # linked earlier by NEPH: keep that link
            await self.sessions.end(conn, old_session)
            session_id = await self.sessions.create(conn, account_id, fc_id_token=identity["id_token"],
                                                    fc_match_neph=matched)
        return session_id, problem, mails

    async def logout_url(self, id_token: str, state: str) -> str:
        """FranceConnect's end-session URL (a top-level navigation ends its and the IdP's sessions)."""
        endpoint = (await self.metadata())["end_session_endpoint"]
        query = urlencode({"id_token_hint": id_token, "state": state, "post_logout_redirect_uri": self.post_logout_uri})
        return f"{endpoint}?{query}"


CANCELLED = "Vous avez annulé la connexion avec FranceConnect. Vous pouvez réessayer ou vous connecter avec votre adresse électronique."
