DROP INDEX events_published_by_end;
