-- Queued messages used to hold the manage token of their registration in clear; now
-- the sender fills it in (notify::with_manage_token). Earlier rows get the same slot in
-- place of the token (43 characters: 256 bits in unpadded base64url), so no copy of
-- the database can read or cancel a registration.
UPDATE notifications
SET body = substr(body, 1, strpos(body, '/manage#token=') + 13)
        || '[manage-token]'
        || substr(body, strpos(body, '/manage#token=') + 14 + 43)
WHERE strpos(body, '/manage#token=') > 0
  AND substr(body, strpos(body, '/manage#token=') + 14, 14) <> '[manage-token]';
