-- The tokens are gone; nothing to restore.
SELECT 1;
