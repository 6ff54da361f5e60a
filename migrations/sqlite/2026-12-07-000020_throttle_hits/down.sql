CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    subject TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_lookup ON login_failures (scope, subject, failed_at);
INSERT INTO login_failures (scope, subject, failed_at)
    SELECT substr(scope, 7), subject, at FROM throttle_hits
    WHERE scope IN ('login_account', 'login_address');
DROP TABLE throttle_hits;
