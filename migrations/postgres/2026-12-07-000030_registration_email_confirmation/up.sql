-- Events may hold each registration until its email is confirmed by the mailed link.
ALTER TABLE events ADD COLUMN email_confirmation BOOLEAN NOT NULL DEFAULT FALSE;

-- A registration may wait for that confirmation (`pending_confirmation`) until
-- `confirm_by`, holding a seat when one was free.
ALTER TABLE registrations
    DROP CONSTRAINT registrations_status_check,
    ADD CONSTRAINT registrations_status_check
        CHECK (status IN ('pending_confirmation', 'confirmed', 'waitlisted', 'cancelled')),
    ADD COLUMN confirm_by TIMESTAMP,
    ADD COLUMN holds_seat BOOLEAN NOT NULL DEFAULT FALSE,
    ADD CONSTRAINT registrations_pending_has_deadline
        CHECK (status <> 'pending_confirmation' OR confirm_by IS NOT NULL),
    ADD CONSTRAINT registrations_only_holds_hold_seats
        CHECK (holds_seat = FALSE OR status = 'pending_confirmation');
-- The holds that lapse next, for the job that frees their seats.
CREATE INDEX registrations_holds_due ON registrations (confirm_by)
    WHERE status = 'pending_confirmation';
