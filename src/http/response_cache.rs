//! A short-lived cache of whole public responses, shared by the server's workers.
//!
//! Freshness: an entry serves only while the public data it was read from is unchanged
//! through this server (`db::public_changes`: counted by committed writes that change
//! what the public reads show, and nothing else) and for at most a TTL
//! (`PUBLIC_CACHE_TTL_MS`, under a second), which bounds how stale a change through
//! another instance, or the passing of time (registration opening, an event ending),
//! can look.
//!
//! Refills are single-flight: one request per key reads the database while the others
//! that want the same answer wait and are handed its answer, so a change or an expiry
//! never sends a herd to the database. (A request that arrives after a change does not
//! take an answer read before it: it starts the next refill.) An entry in the last fifth of its TTL is refreshed ahead by one
//! request while the rest are still answered from it, so that under steady load entries
//! are renewed before they expire and nobody waits at all.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::db::public_changes::PublicChanges;

/// Under the one second in which other instances must see a change.
pub const DEFAULT_TTL: Duration = Duration::from_millis(900);
/// Distinct queries (say, searches) beyond this empty the cache instead of growing it.
const MAX_ENTRIES: usize = 1024;
/// Larger bodies (a long calendar) are not kept.
const MAX_BODY: usize = 512 * 1024;

/// A 200 response as sent: headers (without per-request ones), body and entity tag.
pub struct Stored {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub etag: String,
}

struct Entry {
    generation: u64,
    filled: Instant,
    response: Arc<Stored>,
}

/// What waiters of a refill are handed: its answer, or `None` when it had none to share
/// (not a 200), and they read it themselves.
type Outcome = Option<Arc<Stored>>;

/// A refill under way: the change count it reads at, and where its answer will come.
struct Pending {
    generation: u64,
    outcome: watch::Receiver<Outcome>,
}

#[derive(Default)]
struct Entries {
    entries: HashMap<String, Entry>,
    refilling: HashMap<String, Pending>,
}

/// One server's cache (cloned into each worker: they share it).
#[derive(Clone)]
pub struct ResponseCache {
    shared: Arc<Mutex<Entries>>,
    refills: Arc<AtomicU64>,
    changes: PublicChanges,
}

/// What to do for a public GET.
pub enum Lookup {
    /// Answer from this.
    Hit(Arc<Stored>),
    /// Read the answer (this request is the one refilling) and hand it to `done`.
    Refill(Refill),
    /// Another request, which arrived at the same change count, is reading this answer:
    /// wait for it and answer with it.
    Wait(watch::Receiver<Outcome>),
}

/// The right to refill one key at one change count; requests for the key that arrive
/// meanwhile at that count wait for its answer.
pub struct Refill {
    cache: Arc<Mutex<Entries>>,
    changes: PublicChanges,
    key: String,
    generation: u64,
    outcome: watch::Sender<Outcome>,
}

impl Refill {
    /// Hands the answer read (`None`: not one to share) to the waiters, and keeps it
    /// unless public data changed meanwhile or it is too large.
    pub fn done(self, response: Outcome) {
        if let Some(response) = &response
            && response.body.len() <= MAX_BODY
            && self.generation == self.changes.generation()
        {
            let mut cache = self.cache.lock();
            if cache.entries.len() >= MAX_ENTRIES && !cache.entries.contains_key(&self.key) {
                cache.entries.clear();
            }
            cache.entries.insert(
                self.key.clone(),
                Entry {
                    generation: self.generation,
                    filled: Instant::now(),
                    response: Arc::clone(response),
                },
            );
        }
        self.outcome.send_replace(response);
    }
}

impl Drop for Refill {
    /// Ends the refill, answered or not (a dropped one wakes its waiters with nothing,
    /// and they read for themselves); a newer refill of the key is left alone.
    fn drop(&mut self) {
        let mut cache = self.cache.lock();
        if cache
            .refilling
            .get(&self.key)
            .is_some_and(|p| p.generation == self.generation)
        {
            cache.refilling.remove(&self.key);
        }
    }
}

impl ResponseCache {
    /// An empty cache whose answers stay fresh while `changes` counts none.
    pub fn new(changes: PublicChanges) -> Self {
        Self {
            shared: Arc::default(),
            refills: Arc::default(),
            changes,
        }
    }

    /// How many refills this cache has started (answers read from the database to be
    /// kept): what `/metrics` shows as `llcp_public_cache_refills_total`.
    pub fn refills(&self) -> u64 {
        self.refills.load(Ordering::Relaxed)
    }

    /// The cached answer for `key`, or whether to read it or wait for another's read.
    /// A refill that began before the latest change cannot serve a request that came
    /// after it: such a request starts a refill of its own at the new count.
    pub fn lookup(&self, key: &str, ttl: Duration) -> Lookup {
        let current = self.changes.generation();
        let mut cache = self.shared.lock();
        let refilling = cache
            .refilling
            .get(key)
            .filter(|p| p.generation == current)
            .map(|p| p.outcome.clone());
        if let Some(entry) = cache.entries.get(key).filter(|e| e.generation == current) {
            let age = entry.filled.elapsed();
            let renew_from = ttl.mul_f32(0.8);
            if age < renew_from || (age < ttl && refilling.is_some()) {
                return Lookup::Hit(Arc::clone(&entry.response));
            }
        }
        if let Some(outcome) = refilling {
            return Lookup::Wait(outcome);
        }
        let (sender, receiver) = watch::channel(None);
        cache.refilling.insert(
            key.to_string(),
            Pending {
                generation: current,
                outcome: receiver,
            },
        );
        self.refills.fetch_add(1, Ordering::Relaxed);
        Lookup::Refill(Refill {
            cache: Arc::clone(&self.shared),
            changes: self.changes.clone(),
            key: key.to_string(),
            generation: current,
            outcome: sender,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(body: &'static str) -> Arc<Stored> {
        Arc::new(Stored {
            headers: Vec::new(),
            body: Bytes::from_static(body.as_bytes()),
            etag: "\"t\"".into(),
        })
    }

    fn refill(cache: &ResponseCache, key: &str) -> Refill {
        match cache.lookup(key, DEFAULT_TTL) {
            Lookup::Refill(refill) => refill,
            _ => panic!("{key}: expected to refill"),
        }
    }

    fn hit(cache: &ResponseCache, key: &str, ttl: Duration) -> Option<Arc<Stored>> {
        match cache.lookup(key, ttl) {
            Lookup::Hit(stored) => Some(stored),
            _ => None,
        }
    }

    #[test]
    fn a_public_change_makes_every_entry_stale() {
        let cache = ResponseCache::new(PublicChanges::default());
        refill(&cache, "/a").done(Some(stored("one")));
        assert_eq!(&hit(&cache, "/a", DEFAULT_TTL).unwrap().body[..], b"one");
        cache.changes.changed();
        assert!(hit(&cache, "/a", DEFAULT_TTL).is_none());
    }

    #[test]
    fn a_response_read_before_a_change_is_not_kept() {
        let cache = ResponseCache::new(PublicChanges::default());
        let first = refill(&cache, "/b");
        cache.changes.changed();
        first.done(Some(stored("old")));
        drop(refill(&cache, "/b"));
    }

    #[test]
    fn one_request_refills_while_the_others_wait_and_are_handed_its_answer() {
        let cache = ResponseCache::new(PublicChanges::default());
        let first = refill(&cache, "/c");
        let Lookup::Wait(mut waiting) = cache.lookup("/c", DEFAULT_TTL) else {
            panic!("the second request must wait for the first");
        };
        first.done(Some(stored("fresh")));
        let woken = futures_util::FutureExt::now_or_never(waiting.changed());
        assert!(matches!(woken, Some(Ok(()))), "the waiter is woken");
        let handed = waiting.borrow_and_update().clone().unwrap();
        assert_eq!(&handed.body[..], b"fresh");
        assert_eq!(cache.refills(), 1, "one read for both");
        assert_eq!(&hit(&cache, "/c", DEFAULT_TTL).unwrap().body[..], b"fresh");
    }

    #[test]
    fn a_refill_without_an_answer_wakes_the_waiters_and_the_next_request_refills() {
        let cache = ResponseCache::new(PublicChanges::default());
        let first = refill(&cache, "/d");
        let Lookup::Wait(mut waiting) = cache.lookup("/d", DEFAULT_TTL) else {
            panic!("the second request must wait");
        };
        first.done(None);
        let woken = futures_util::FutureExt::now_or_never(waiting.changed());
        assert!(matches!(woken, Some(Ok(()))), "the waiter is woken");
        assert!(waiting.borrow_and_update().is_none(), "nothing to share");
        drop(refill(&cache, "/d"));
    }

    #[test]
    fn a_request_after_a_change_does_not_wait_for_a_refill_begun_before_it() {
        let cache = ResponseCache::new(PublicChanges::default());
        let before = refill(&cache, "/f");
        cache.changes.changed();
        let after = refill(&cache, "/f");
        before.done(Some(stored("old")));
        assert!(
            hit(&cache, "/f", DEFAULT_TTL).is_none(),
            "the old answer is not kept"
        );
        let Lookup::Wait(_) = cache.lookup("/f", DEFAULT_TTL) else {
            panic!("the newer refill is still under way");
        };
        after.done(Some(stored("new")));
        assert_eq!(&hit(&cache, "/f", DEFAULT_TTL).unwrap().body[..], b"new");
    }

    #[test]
    fn near_its_expiry_one_request_renews_an_entry_while_the_rest_still_hit() {
        let cache = ResponseCache::new(PublicChanges::default());
        let ttl = Duration::from_millis(200);
        match cache.lookup("/e", ttl) {
            Lookup::Refill(r) => r.done(Some(stored("first"))),
            _ => panic!("refill"),
        }
        std::thread::sleep(Duration::from_millis(170));
        let renewing = match cache.lookup("/e", ttl) {
            Lookup::Refill(r) => r,
            _ => panic!("the first request in the last fifth renews"),
        };
        assert_eq!(
            &hit(&cache, "/e", ttl).unwrap().body[..],
            b"first",
            "the rest hit"
        );
        renewing.done(Some(stored("second")));
        assert_eq!(&hit(&cache, "/e", ttl).unwrap().body[..], b"second");
    }

    #[test]
    fn too_many_distinct_queries_empty_the_cache_instead_of_growing_it() {
        let cache = ResponseCache::new(PublicChanges::default());
        for i in 0..MAX_ENTRIES + 1 {
            refill(&cache, &format!("/q{i}")).done(Some(stored("x")));
        }
        assert!(cache.shared.lock().entries.len() <= MAX_ENTRIES);
    }
}
