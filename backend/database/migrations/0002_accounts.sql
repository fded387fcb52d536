-- 0002: accounts — personal accounts, server-side sessions, one-time mail tokens, attempt
-- counters (rate limits and lockout), pending FranceConnect requests, the access log.
-- Times are INTEGER seconds since the Unix epoch (UTC): comparisons against the injectable
-- clock are plain integer arithmetic. Secrets (session ids, mail tokens, OpenID state) are
-- stored only as SHA-256 hashes, so a copy of the database gives no live session or link.

-- A person using the service. Signed in by e-mail + password (email, password_hash) and/or
-- FranceConnect (fc_sub). `neph` is the licence file the account is linked to, NULL until
-- linked; there is no foreign key to holders because the register may be re-imported.
CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY,
    email             TEXT UNIQUE COLLATE NOCASE,
    password_hash     TEXT,
    email_verified_at INTEGER,                 -- NULL: the account cannot sign in yet
    fc_sub            TEXT UNIQUE,             -- FranceConnect subject for this service
    neph              TEXT,
    linked_at         INTEGER,
    created_at        INTEGER NOT NULL
);

CREATE INDEX accounts_by_neph ON accounts (neph);

-- Server-side sessions. The cookie carries a random id; only its hash is stored.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,             -- absolute lifetime counts from here
    last_seen_at INTEGER NOT NULL,             -- idle lifetime counts from here
    fc_id_token  TEXT                          -- FranceConnect ID token, for the logout hint
) WITHOUT ROWID;

CREATE INDEX sessions_by_account ON sessions (account_id);

-- Single-use links sent by mail: verify an address, reset a password.
CREATE TABLE mail_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    email      TEXT NOT NULL,                  -- the address the link proves (new address on change)
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;

-- Attempts counted for rate limits and lockout: one row per attempt, keyed by what is
-- limited ("signin:addr:<hash>", "signin:ip:<ip>", …). Old rows are purged as windows pass.
CREATE TABLE attempts (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);

CREATE INDEX attempts_by_key ON attempts (key, at);

-- FranceConnect authorisation requests in flight (state -> nonce, PKCE verifier, return path).
CREATE TABLE oidc_requests (
    state_hash    TEXT PRIMARY KEY,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- Who viewed which licence file, when, on which page (a route template, no other data).
CREATE TABLE access_log (
    id         INTEGER PRIMARY KEY,
    viewed_at  INTEGER NOT NULL,
    account_id INTEGER NOT NULL,               -- kept after the account is deleted (audit trail)
    neph       TEXT NOT NULL,
    page       TEXT NOT NULL
);

CREATE INDEX access_log_by_time ON access_log (viewed_at);
CREATE INDEX access_log_by_neph ON access_log (neph, viewed_at);
