-- Holds still waiting are cancelled (the earlier schema has no such status), their
-- seats given back, and their unsent confirmation mails dropped: the earlier sender
-- cannot fill in their links. Freed seats go to the waiting list at the next
-- cancellation or capacity change.
UPDATE events SET seats_taken = seats_taken - (
    SELECT COUNT(*) FROM registrations r
    WHERE r.event_id = events.id AND r.status = 'pending_confirmation' AND r.holds_seat);
UPDATE registrations SET status = 'cancelled', active_email = NULL, holds_seat = FALSE,
        cancelled_at = updated_at
    WHERE status = 'pending_confirmation';
DELETE FROM notifications
    WHERE template = 'registration_confirm_email' AND sent_at IS NULL;
CREATE TABLE registrations_old (
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
INSERT INTO registrations_old (id, event_id, seq, full_name, email, organisation, borough,
        job_title, accessibility_needs, status, attended, active_email, manage_token_hash,
        created_at, updated_at, promoted_at, cancelled_at)
    SELECT id, event_id, seq, full_name, email, organisation, borough, job_title,
        accessibility_needs, status, attended, active_email, manage_token_hash, created_at,
        updated_at, promoted_at, cancelled_at
    FROM registrations;
DROP TABLE registrations;
ALTER TABLE registrations_old RENAME TO registrations;
CREATE UNIQUE INDEX registrations_one_active_per_email ON registrations (event_id, active_email);
CREATE INDEX registrations_by_status ON registrations (event_id, status, seq);
ALTER TABLE events DROP COLUMN email_confirmation;
