CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id),
    -- Arrival order within the event; waiting-list positions are derived from it.
    seq BIGINT NOT NULL,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    organisation TEXT NOT NULL,
    borough TEXT,
    job_title TEXT,
    accessibility_needs TEXT,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    attended BOOLEAN NOT NULL DEFAULT FALSE,
    -- The email while the registration is active, NULL once cancelled: one active
    -- registration per email and event, enforced by the unique index below.
    active_email TEXT,
    manage_token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    promoted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    UNIQUE (event_id, seq),
    CHECK ((status = 'cancelled') = (active_email IS NULL)),
    CHECK (attended = FALSE OR status = 'confirmed')
);
CREATE UNIQUE INDEX registrations_one_active_per_email ON registrations (event_id, active_email);
CREATE INDEX registrations_by_status ON registrations (event_id, status, seq);

CREATE TABLE idempotency_keys (
    idempotency_key TEXT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id),
    request_hash TEXT NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (idempotency_key, event_id)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A sender claims a message until this time, so that instances never both send it.
    claimed_until TIMESTAMP,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX notifications_due ON notifications (sent_at, failed_at, next_attempt_at);
CREATE INDEX notifications_created ON notifications (created_at);
