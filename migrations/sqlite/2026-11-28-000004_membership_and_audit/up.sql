-- Set when an application is approved: the account is a Community of Practice member.
ALTER TABLE accounts ADD COLUMN member_since TIMESTAMP;

CREATE TABLE membership_applications (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    statement TEXT NOT NULL,
    organisation TEXT NOT NULL,
    borough TEXT NOT NULL,
    job_title TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_at TIMESTAMP NOT NULL,
    respond_by TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by TEXT REFERENCES accounts (id),
    reason TEXT,
    -- Set once admins have been reminded that it is overdue: never remind twice.
    reminded_at TIMESTAMP,
    -- The account while pending, NULL once decided: one pending application per account.
    pending_account TEXT,
    CHECK ((status = 'pending') = (pending_account IS NOT NULL)),
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK (status <> 'rejected' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX membership_one_pending ON membership_applications (pending_account);
CREATE INDEX membership_by_status ON membership_applications (status, submitted_at);
CREATE INDEX membership_by_account ON membership_applications (account_id, submitted_at);
CREATE INDEX membership_by_decision ON membership_applications (decided_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
