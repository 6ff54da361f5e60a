-- iCalendar SEQUENCE: bumped on every change, so calendar clients replace their copy.
ALTER TABLE events ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
