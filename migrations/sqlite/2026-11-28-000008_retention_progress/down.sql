DROP INDEX events_awaiting_retention;
ALTER TABLE events DROP COLUMN registrations_anonymised_at;
