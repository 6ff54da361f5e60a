//! argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane), at most as
//! many at once as there are cores.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::ApiError;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How long a hash waits for a core before the request is a 503.
const WAIT_FOR_A_CORE: Duration = Duration::from_secs(1);

/// Each hash takes 19 MiB and a core for its whole run; more at once than there are
/// cores only finish later together, and a burst of sign-ins or sign-ups would take
/// memory without bound. So hashes queue here.
struct HashGate {
    running: Mutex<usize>,
    freed: Condvar,
    cores: usize,
}

struct Turn<'a>(&'a HashGate);

impl HashGate {
    fn get() -> &'static Self {
        static GATE: OnceLock<HashGate> = OnceLock::new();
        GATE.get_or_init(|| Self {
            running: Mutex::new(0),
            freed: Condvar::new(),
            cores: std::thread::available_parallelism().map_or(2, usize::from),
        })
    }

    fn enter(&self, wait: Duration) -> Result<Turn<'_>, ApiError> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let (mut running, waited) = self
            .freed
            .wait_timeout_while(running, wait, |running| *running >= self.cores)
            .unwrap_or_else(|e| e.into_inner());
        if waited.timed_out() && *running >= self.cores {
            return Err(ApiError::Busy(
                "Too many passwords are being checked at once; please retry in a moment.".into(),
            ));
        }
        *running += 1;
        Ok(Turn(self))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut running = self.0.running.lock().unwrap_or_else(|e| e.into_inner());
        *running -= 1;
        self.0.freed.notify_one();
    }
}

/// A PHC string for storage. Slow on purpose: call it from a blocking thread. 503 when
/// every core has been hashing for longer than a second.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    let _turn = HashGate::get().enter(WAIT_FOR_A_CORE)?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing failed: {e}")))
}

/// Whether the password matches the stored PHC string; 503 as for `hash`.
pub fn verify(password: &str, stored: &str) -> Result<bool, ApiError> {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Ok(false);
    };
    let _turn = HashGate::get().enter(WAIT_FOR_A_CORE)?;
    Ok(hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A hash to verify against when the email is unknown, so that an unknown email and a
/// wrong password take the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash("not a real password, only for timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verifiable() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b);
        assert!(verify("correct horse battery", &a).unwrap());
        assert!(!verify("wrong horse battery", &a).unwrap());
        assert!(!verify("anything", "not a hash").unwrap());
        assert!(!dummy_hash().is_empty());
    }

    #[test]
    fn hashes_beyond_the_cores_wait_and_then_are_refused() {
        let gate = HashGate {
            running: Mutex::new(0),
            freed: Condvar::new(),
            cores: 1,
        };
        let first = gate.enter(Duration::ZERO).unwrap();
        let refused = gate.enter(Duration::from_millis(20));
        assert!(matches!(refused, Err(ApiError::Busy(_))));
        std::thread::scope(|s| {
            let waiting = s.spawn(|| gate.enter(Duration::from_secs(5)).is_ok());
            std::thread::sleep(Duration::from_millis(20));
            drop(first);
            assert!(
                waiting.join().unwrap(),
                "a freed core goes to the one waiting"
            );
        });
    }
}
