-- 0006: proofs a third party can check (statement area, issue #16).
-- Times are INTEGER seconds since the Unix epoch (UTC), as in 0002.

-- Every sealed statement and attestation issued, under the short code printed on it. The signed
-- facts are kept here so that the verifier shows them (the paper can be compared with them);
-- `seal` is the full verification code (the QR code's), whose signature covers the digest of
-- `facts`, so a row edited in the database no longer verifies. No foreign key to holders: the
-- register may be re-imported.
CREATE TABLE issued_documents (
    short_code  TEXT PRIMARY KEY,              -- codes.py: 15 base-32 digits + check symbol
    kind        TEXT NOT NULL CHECK (kind IN ('statement', 'attestation')),
    neph        TEXT NOT NULL,
    issued_at   INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,              -- after this the code says "expired", facts hidden
    basis       BLOB NOT NULL,                 -- digest of the facts without issue/validity dates (reuse)
    facts       BLOB NOT NULL,                 -- canonical JSON of model.Facts
    seal        TEXT NOT NULL,                 -- full verification code (version 2)
    revoked_at  INTEGER                        -- set by the driver; the code then says "revoked"
) WITHOUT ROWID;

CREATE INDEX issued_documents_by_neph ON issued_documents (neph, issued_at);
CREATE INDEX issued_documents_by_end ON issued_documents (valid_until);  -- purge 90 days after the end

-- Share codes a driver gives a third party (employer, rental company…). Only the code's SHA-256
-- is stored (100 random bits: nothing to brute-force offline), so a copy of the database opens
-- no file; the driver sees the code once, then its last four characters (`hint`).
CREATE TABLE share_codes (
    id          INTEGER PRIMARY KEY,
    code_hash   TEXT NOT NULL UNIQUE,
    hint        TEXT NOT NULL,
    neph        TEXT NOT NULL,
    purpose     TEXT NOT NULL,                 -- the driver's own words: "Employeur", "Location"…
    shows       TEXT NOT NULL CHECK (shows IN ('rights', 'rights_balance')),
    single_use  INTEGER NOT NULL CHECK (single_use IN (0, 1)),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE INDEX share_codes_by_neph ON share_codes (neph, created_at);
CREATE INDEX share_codes_by_end ON share_codes (expires_at);  -- purge 90 days after the end

-- Each time a third party opened a share code: when, and from where in coarse terms only
-- (sharing.coarse_origin: browser family and system, network truncated — never the raw address).
CREATE TABLE share_code_uses (
    id       INTEGER PRIMARY KEY,
    share_id INTEGER NOT NULL REFERENCES share_codes (id) ON DELETE CASCADE,
    used_at  INTEGER NOT NULL,
    origin   TEXT NOT NULL
);

CREATE INDEX share_code_uses_by_share ON share_code_uses (share_id, used_at);

-- Attempts on the public pages that read codes (/verifier, /consulter), for their rate limit.
-- The key is an HMAC of the client address (throttle.py): no raw address is stored; rows older
-- than the longest window are deleted as new ones come.
CREATE TABLE code_attempts (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);

CREATE INDEX code_attempts_by_key ON code_attempts (key, at);
