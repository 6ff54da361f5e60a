DROP TABLE notifications;
DROP TABLE idempotency_keys;
DROP TABLE registrations;
