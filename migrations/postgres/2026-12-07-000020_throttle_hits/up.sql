-- One table for every attempt that a limit counts: failed sign-ins (per account and
-- address, per address, per account, per known device), sign-ups and anonymous
-- registrations. Rows older than the longest window are pruned.
CREATE TABLE throttle_hits (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN (
        'login_account', 'login_address', 'login_account_address', 'login_device',
        'signup_address', 'registration_address', 'registration_address_event')),
    subject TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX throttle_hits_lookup ON throttle_hits (scope, subject, at);
CREATE INDEX throttle_hits_at ON throttle_hits (at);
INSERT INTO throttle_hits (scope, subject, at)
    SELECT 'login_' || scope, subject, failed_at FROM login_failures;
DROP TABLE login_failures;
