-- 0007: accounts — who is linked to a file and how, who viewed it, and links the holder removed.
--
-- accounts.linked_by: how the account's link to its file was made: 'form' (NEPH + birth date +
-- family name + licence date typed on /compte/lier) or 'franceconnect' (the identity pivot matched
-- exactly one file). Existing links predate the distinction: NULL, shown as "lien ancien" (not guessed:
-- a FranceConnect account may have been linked by the form), until the next FranceConnect sign-in.
ALTER TABLE accounts ADD COLUMN linked_by TEXT CHECK (linked_by IN ('form', 'franceconnect'));

-- sessions.fc_match_neph: the file a FranceConnect sign-in matched by identity pivot for this
-- session (NULL for a password session or no single match). Only such a session may remove the
-- other accounts linked to that file: it proves the person is the holder, not just someone who
-- knows a few facts about them.
ALTER TABLE sessions ADD COLUMN fc_match_neph TEXT;

-- An address never confirmed keeps no password: before this version sign-up stored the password
-- chosen by whoever typed the address first (possibly not its owner); the owner now chooses one
-- when confirming the address (AccountService.confirm_email).
UPDATE accounts SET password_hash = NULL WHERE email_verified_at IS NULL;

-- Links the holder removed: this account may not link this file again through the form (it may
-- through FranceConnect, which proves the identity).
CREATE TABLE link_refusals (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    neph       TEXT NOT NULL,
    refused_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, neph)
) WITHOUT ROWID;

-- The access log also records views by someone without an account (a third party opening a share
-- code): account_id becomes optional, and each row says through which channel the file was seen.
--   channel: 'password' (account signed in with e-mail and password), 'franceconnect' (account
--            signed in through FranceConnect), 'share_code' (a third party, no account)
--   who:     for a third party, a French label shown to the holder as is (e.g. the share code's purpose)
--   place:   optional coarse origin shown as is ("France"); never an IP address
CREATE TABLE access_log_new (
    id         INTEGER PRIMARY KEY,
    viewed_at  INTEGER NOT NULL,
    account_id INTEGER,                        -- kept after the account is deleted (audit trail)
    neph       TEXT NOT NULL,
    page       TEXT NOT NULL,
    channel    TEXT NOT NULL DEFAULT 'password' CHECK (channel IN ('password', 'franceconnect', 'share_code')),
    who        TEXT,
    place      TEXT,
    CHECK ((channel = 'share_code') = (account_id IS NULL))
);
INSERT INTO access_log_new (id, viewed_at, account_id, neph, page)
SELECT id, viewed_at, account_id, neph, page FROM access_log;
DROP TABLE access_log;
ALTER TABLE access_log_new RENAME TO access_log;
CREATE INDEX access_log_by_time ON access_log (viewed_at);
CREATE INDEX access_log_by_neph ON access_log (neph, viewed_at);
