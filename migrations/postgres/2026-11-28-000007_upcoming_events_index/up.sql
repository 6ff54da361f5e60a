-- The public listing asks for published events that have not ended: this finds those
-- few without reading every past event, however many years of them there are.
CREATE INDEX events_published_by_end ON events (ends_at, starts_at) WHERE published_at IS NOT NULL;
