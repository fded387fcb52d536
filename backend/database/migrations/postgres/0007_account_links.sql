-- 0007 (PostgreSQL): how an account was linked, refused links, and an access log that also records
-- third parties who consult with a share code (accounts/linking.py, accounts/access_log.py).

ALTER TABLE accounts ADD COLUMN linked_by TEXT CHECK (linked_by IN ('form', 'franceconnect'));

ALTER TABLE sessions ADD COLUMN fc_match_neph TEXT;

UPDATE accounts SET password_hash = NULL WHERE email_verified_at IS NULL;

CREATE TABLE link_refusals (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    neph       TEXT NOT NULL,
    refused_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, neph)
);

ALTER TABLE access_log ALTER COLUMN account_id DROP NOT NULL;
ALTER TABLE access_log ADD COLUMN channel TEXT NOT NULL DEFAULT 'password'
    CHECK (channel IN ('password', 'franceconnect', 'share_code'));
ALTER TABLE access_log ADD COLUMN who TEXT;
ALTER TABLE access_log ADD COLUMN place TEXT;
ALTER TABLE access_log ADD CONSTRAINT access_log_channel_account CHECK ((channel = 'share_code') = (account_id IS NULL));
