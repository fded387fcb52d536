"""A small OpenID token server on loopback whose answers a test can tamper with.

The real provider (tools/oidc/provider.mjs) only ever issues correct tokens; to prove the
service refuses bad ones (wrong key, audience, issuer, nonce, expired, unsigned userinfo…)
this server plays the provider's token, userinfo and JWKS endpoints with real HTTP and real
signatures, and lets the test say what is wrong.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.good = ECKey.generate_key("P-256", parameters={"kid": "good", "alg": "ES256", "use": "sig"})
        self.other = ECKey.generate_key("P-256", parameters={"kid": "other", "alg": "ES256", "use": "sig"})
        self.published = [self.good]
        self.sign_with = self.good
        self.nonce = ""
        self.id_claims: dict[str, Any] = {}  # overrides of the ID token's claims (None deletes)
        self.userinfo_mode = "jwt"  # "jwt" | "json" | "other-key" | "other-sub"
        self.unsigned_id_token = False
        self.jwks_fetches = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> TokenServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def claims(self) -> dict[str, Any]:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "sub": "abc123v1", "iat": now, "exp": now + 60,
                  "nonce": self.nonce, "acr": "eidas1", "auth_time": now}
        for key, value in self.id_claims.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(self, claims: dict[str, Any], key: ECKey) -> str:
        return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)

    def id_token(self) -> str:
        if self.unsigned_id_token:
            header = b64(json.dumps({"alg": "none"}).encode())
            return f"{header}.{b64(json.dumps(self.claims()).encode())}."
        return self.sign(self.claims(), self.sign_with)

    def userinfo(self) -> tuple[str, str]:
        identity = {"iss": self.issuer, "aud": self.client_id, "sub": "abc123v1", "given_name": "Camille Louise",
                    "family_name": "MARTIN", "birthdate": "1990-04-12", "birthplace": "69123",
                    "birthcountry": "99100", "gender": "female"}
        if self.userinfo_mode == "json":
            return "application/json", json.dumps(identity)
        if self.userinfo_mode == "other-sub":
            identity["sub"] = "someone-else"
        key = self.other if self.userinfo_mode == "other-key" else self.sign_with
        return "application/jwt", self.sign(identity, key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _send(self, content_type: str, body: str, status: int = 200) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    base = server.issuer
                    self._send("application/json", json.dumps({
                        "issuer": base, "authorization_endpoint": f"{base}/authorize",
                        "token_endpoint": f"{base}/token", "userinfo_endpoint": f"{base}/userinfo",
                        "jwks_uri": f"{base}/jwks", "end_session_endpoint": f"{base}/session/end",
                        "id_token_signing_alg_values_supported": ["ES256"]}))
                elif self.path == "/jwks":
                    server.jwks_fetches += 1
                    self._send("application/json", json.dumps(KeySet(server.published).as_dict(private=False)))
                elif self.path == "/userinfo":
                    self._send(*server.userinfo())
                else:
                    self._send("text/plain", "not found", 404)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/token":
                    self._send("text/plain", "not found", 404)
                    return
                self._send("application/json", json.dumps({
                    "access_token": "access-token-from-the-test-server", "token_type": "Bearer",
                    "expires_in": 60, "id_token": server.id_token()}))

        return Handler
