-- An account proves its email by following a mailed link. Accounts made before this
-- (by sign-up, the CLI or the demo) count as verified: they predate the rule.
ALTER TABLE accounts ADD COLUMN email_verified_at TIMESTAMP;
UPDATE accounts SET email_verified_at = created_at;

-- Single-use links mailed to an account: verifying its email, resetting its password.
-- Only a hash of the token is stored; the mail's token is derived from the row id with
-- the server key when the message is sent (notify::with_account_token).
CREATE TABLE account_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX account_tokens_account ON account_tokens (account_id);

-- The account link a queued message carries, filled in only when it is sent.
ALTER TABLE notifications ADD COLUMN account_token_id TEXT;
