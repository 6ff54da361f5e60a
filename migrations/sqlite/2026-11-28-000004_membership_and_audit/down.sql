DROP TABLE audit_log;
DROP TABLE membership_applications;
ALTER TABLE accounts DROP COLUMN member_since;
