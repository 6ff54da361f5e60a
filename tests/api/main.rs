//! One integration-test binary: every test boots the real app over HTTP.

mod helpers;

mod health;
