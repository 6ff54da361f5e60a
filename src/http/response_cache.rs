//! A short-lived cache of whole public responses, one per worker thread (no locks).
//!
//! Freshness rules: an entry serves only while this process has made no write since it
//! was filled (`generation`, bumped after every non-GET request completes, so after its
//! commit), and for at most a TTL (`PUBLIC_CACHE_TTL_MS`, under a second). The TTL bounds how stale a write made through another
//! instance, or the passing of time (registration opening, an event ending), can look.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;

/// Under the one second in which other instances must see a change.
pub const DEFAULT_TTL: Duration = Duration::from_millis(900);
/// Distinct queries (say, searches) beyond this empty the worker's cache.
const MAX_ENTRIES: usize = 512;
/// Larger bodies (a long calendar) are not kept.
const MAX_BODY: usize = 512 * 1024;

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The current write generation; read it before the database is.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Called after a write has committed: every cached response is stale from now on.
pub fn invalidate() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// A 200 response as sent: headers (without per-request ones), body and entity tag.
pub struct Stored {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub etag: String,
}

struct Entry {
    generation: u64,
    filled: Instant,
    response: Rc<Stored>,
}

thread_local! {
    static ENTRIES: RefCell<HashMap<String, Entry>> = RefCell::new(HashMap::new());
}

/// The stored response for `key`, if it is still fresh.
pub fn get(key: &str, ttl: Duration) -> Option<Rc<Stored>> {
    let current = generation();
    ENTRIES.with(|entries| {
        entries
            .borrow()
            .get(key)
            .filter(|e| e.generation == current && e.filled.elapsed() < ttl)
            .map(|e| Rc::clone(&e.response))
    })
}

/// Keeps a response filled at `generation` (read before the data was).
pub fn put(key: String, generation: u64, response: Rc<Stored>) {
    if response.body.len() > MAX_BODY || generation != self::generation() {
        return;
    }
    ENTRIES.with(|entries| {
        let mut entries = entries.borrow_mut();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                filled: Instant::now(),
                response,
            },
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generation is process-wide: these tests take turns with it.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn stored(body: &'static str) -> Rc<Stored> {
        Rc::new(Stored {
            headers: Vec::new(),
            body: Bytes::from_static(body.as_bytes()),
            etag: "\"t\"".into(),
        })
    }

    #[test]
    fn a_write_makes_every_entry_stale() {
        let _turn = SERIAL.lock().unwrap();
        let g = generation();
        put("/a".into(), g, stored("one"));
        assert_eq!(&get("/a", DEFAULT_TTL).unwrap().body[..], b"one");
        invalidate();
        assert!(get("/a", DEFAULT_TTL).is_none());
    }

    #[test]
    fn a_response_read_before_a_write_is_not_kept() {
        let _turn = SERIAL.lock().unwrap();
        let before = generation();
        invalidate();
        put("/b".into(), before, stored("old"));
        assert!(get("/b", DEFAULT_TTL).is_none());
    }

    #[test]
    fn too_many_distinct_queries_empty_the_cache_instead_of_growing_it() {
        let _turn = SERIAL.lock().unwrap();
        let g = generation();
        for i in 0..MAX_ENTRIES + 1 {
            put(format!("/q{i}"), g, stored("x"));
        }
        ENTRIES.with(|e| assert!(e.borrow().len() <= MAX_ENTRIES));
    }
}
