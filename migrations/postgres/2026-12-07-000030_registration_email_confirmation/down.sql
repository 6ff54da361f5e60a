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
DROP INDEX registrations_holds_due;
ALTER TABLE registrations
    DROP CONSTRAINT registrations_only_holds_hold_seats,
    DROP CONSTRAINT registrations_pending_has_deadline,
    DROP COLUMN holds_seat,
    DROP COLUMN confirm_by,
    DROP CONSTRAINT registrations_status_check,
    ADD CONSTRAINT registrations_status_check
        CHECK (status IN ('confirmed', 'waitlisted', 'cancelled'));
ALTER TABLE events DROP COLUMN email_confirmation;
