-- When the retention job anonymised an event's registrations, so that each run reads
-- only the events newly past the retention period, not every registration ever taken.
ALTER TABLE events ADD COLUMN registrations_anonymised_at TIMESTAMP;
CREATE INDEX events_awaiting_retention ON events (ends_at) WHERE registrations_anonymised_at IS NULL;
