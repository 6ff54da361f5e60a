CREATE TABLE bulletins (
    id BIGSERIAL PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE CHECK (number >= 1),
    title TEXT NOT NULL,
    phase TEXT,
    -- An ISO date (YYYY-MM-DD): the issue date printed on the bulletin.
    published_on TEXT NOT NULL,
    summary TEXT,
    -- JSON arrays: [{heading, body}] with Markdown bodies, and [{name, role, …}].
    sections TEXT NOT NULL DEFAULT '[]',
    contacts TEXT NOT NULL DEFAULT '[]',
    -- NULL while a draft.
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX bulletins_listing ON bulletins (published_at, number);
