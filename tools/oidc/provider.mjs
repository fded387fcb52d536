// A development and test OpenID provider behaving like FranceConnect v2 (eidas1), built on
// panva's oidc-provider (tools/node/node_modules). Never for production: in-memory storage,
// development login screen (any password), a key generated at each start.
//
// Like FranceConnect v2 (shared/reference/services-research.md §2):
// - authorization code flow only, PKCE S256 required, client secret in the token request body;
// - ID token and userinfo response signed with ES256 (userinfo is a JWT, `application/jwt`);
// - one scope per identity-pivot claim (given_name family_name birthdate birthplace birthcountry
//   gender, plus email), claims only in userinfo; `acr` = eidas1;
// - short lifetimes: code 30 s, access token 60 s; RP-initiated logout at /session/end.
//
// Environment:
//   OIDC_PORT (default 4000), OIDC_HOST (default 127.0.0.1), OIDC_ISSUER (default http://HOST:PORT)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS, OIDC_POST_LOGOUT_REDIRECT_URIS (comma-separated)
//   OIDC_IDENTITIES: JSON file, a list of {login, given_name, family_name, birthdate, birthplace,
//     birthcountry, gender, email?}; the login typed on the login screen picks the identity
//     (its `sub` is derived from the login). OIDC_KEY_FILE: optional private JWK (JSON) to sign with.
// Prints `oidc-provider listening on <issuer>` once ready.
//
// Run: NODE_PATH=tools/node/node_modules node tools/oidc/provider.mjs  (or `make run` does it).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Resolve packages from tools/node/node_modules whatever the working directory (ES modules
// ignore NODE_PATH).
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));
const jose = await import(require.resolve('jose'));

const env = process.env;
const HOST = env.OIDC_HOST || '127.0.0.1';
const PORT = Number(env.OIDC_PORT || 4000);
const ISSUER = env.OIDC_ISSUER || `http://${HOST}:${PORT}`;
const list = (value, fallback) => (value || fallback).split(',').map((s) => s.trim()).filter(Boolean);

const identities = new Map();
if (env.OIDC_IDENTITIES) {
  for (const person of JSON.parse(readFileSync(env.OIDC_IDENTITIES, 'utf8'))) {
    identities.set(String(person.login), person);
  }
}

// FranceConnect gives each service its own opaque `sub` (hex + "v"); derive one from the login.
const subOf = (login) => `${createHash('sha256').update(`pointspermis:${login}`).digest('hex')}v1`;
const loginBySub = new Map([...identities.keys()].map((login) => [subOf(login), login]));

let signingKey;
if (env.OIDC_KEY_FILE) {
  signingKey = JSON.parse(readFileSync(env.OIDC_KEY_FILE, 'utf8'));
} else {
  const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  signingKey = await jose.exportJWK(privateKey);
  signingKey.kid = `dev-${Date.now().toString(36)}`;
}
signingKey.alg = signingKey.alg || 'ES256';
signingKey.use = 'sig';

const PIVOT = ['given_name', 'family_name', 'birthdate', 'birthplace', 'birthcountry', 'gender'];
const claims = { openid: ['sub'], email: ['email'] };
for (const claim of PIVOT) claims[claim] = [claim];

const configuration = {
  clients: [{
    client_id: env.OIDC_CLIENT_ID || 'pointspermis-dev',
    client_secret: env.OIDC_CLIENT_SECRET || 'pointspermis-dev-secret-not-for-production',
    redirect_uris: list(env.OIDC_REDIRECT_URIS, 'http://127.0.0.1:8000/auth/franceconnect/callback'),
    post_logout_redirect_uris: list(env.OIDC_POST_LOGOUT_REDIRECT_URIS, 'http://127.0.0.1:8000/auth/franceconnect/deconnexion'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256',
  }],
  jwks: { keys: [signingKey] },
  claims,
  scopes: ['openid', ...Object.keys(claims).filter((s) => s !== 'openid')],
  acrValues: ['eidas1'],
  responseTypes: ['code'],
  pkce: { required: () => true },
  enabledJWA: { idTokenSigningAlgValues: ['ES256'], userinfoSigningAlgValues: ['ES256'] },
  ttl: { AuthorizationCode: 30, AccessToken: 60, IdToken: 60, Interaction: 600, Session: 1800, Grant: 1800 },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    jwtUserinfo: { enabled: true },
  },
  cookies: { keys: [env.OIDC_COOKIE_KEY || 'dev-only-cookie-key'] },
  async findAccount(ctx, sub) {
    const login = loginBySub.get(sub);
    if (!login) return undefined;
    const person = identities.get(login);
    return {
      accountId: sub,
      async claims() {
        const result = { sub };
        for (const claim of [...PIVOT, 'email']) if (person[claim] !== undefined) result[claim] = person[claim];
        return result;
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="fr"><head><title>Erreur</title></head><body><h1>Erreur</h1><pre>${
      Object.entries(out).map(([k, v]) => `${k}: ${String(v).replace(/[<>&]/g, '')}`).join('\n')}</pre></body></html>`;
  },
};

const provider = new Provider(ISSUER, configuration);

// devInteractions signs in `accountId = <typed login>`: map it to that identity's `sub`, and
// record the assurance level FranceConnect asserts for its standard identity providers.
const finish = provider.interactionFinished.bind(provider);
provider.interactionFinished = (req, res, result, options) => {
  if (result?.login) {
    result.login.accountId = subOf(result.login.accountId);
    result.login.acr = 'eidas1';
  }
  return finish(req, res, result, options);
};

const server = provider.listen(PORT, HOST, () => {
  console.log(`oidc-provider listening on ${ISSUER} (${identities.size} identities)`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
