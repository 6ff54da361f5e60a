-- Events may hold each registration until its email is confirmed by the mailed link.
ALTER TABLE events ADD COLUMN email_confirmation BOOLEAN NOT NULL DEFAULT FALSE;

-- A registration may wait for that confirmation (`pending_confirmation`) until
-- `confirm_by`, holding a seat when one was free. SQLite cannot change a CHECK, so
-- the table is rebuilt (foreign keys are off while migrations run; see db::mod).
CREATE TABLE registrations_new (
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
    status TEXT NOT NULL CHECK (status IN ('pending_confirmation', 'confirmed', 'waitlisted', 'cancelled')),
    attended BOOLEAN NOT NULL DEFAULT FALSE,
    -- The email while the registration is active, NULL once cancelled: one active
    -- registration per email and event, enforced by the unique index below.
    active_email TEXT,
    manage_token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    promoted_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    -- While pending: when the hold lapses, and whether it holds one of the seats.
    confirm_by TIMESTAMP,
    holds_seat BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (event_id, seq),
    CHECK ((status = 'cancelled') = (active_email IS NULL)),
    CHECK (attended = FALSE OR status = 'confirmed'),
    CHECK (status <> 'pending_confirmation' OR confirm_by IS NOT NULL),
    CHECK (holds_seat = FALSE OR status = 'pending_confirmation')
);
INSERT INTO registrations_new (id, event_id, seq, full_name, email, organisation, borough,
        job_title, accessibility_needs, status, attended, active_email, manage_token_hash,
        created_at, updated_at, promoted_at, cancelled_at)
    SELECT id, event_id, seq, full_name, email, organisation, borough, job_title,
        accessibility_needs, status, attended, active_email, manage_token_hash, created_at,
        updated_at, promoted_at, cancelled_at
    FROM registrations;
DROP TABLE registrations;
ALTER TABLE registrations_new RENAME TO registrations;
CREATE UNIQUE INDEX registrations_one_active_per_email ON registrations (event_id, active_email);
CREATE INDEX registrations_by_status ON registrations (event_id, status, seq);
-- The holds that lapse next, for the job that frees their seats.
CREATE INDEX registrations_holds_due ON registrations (confirm_by)
    WHERE status = 'pending_confirmation';
