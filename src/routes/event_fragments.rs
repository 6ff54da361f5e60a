//! Each event's public JSON, rendered once per version of the event and kept in memory,
//! so that the listing and the event page, read from the database on every request,
//! copy bytes instead of building every field (strings, time zones, escaping) again.
//!
//! A fragment belongs to one version of its event (`updated_at` and `sequence`, which
//! every write of the event changes), so the database row read for the request always
//! says whether the fragment is current: instances never serve a stale one, whatever
//! another instance wrote. Two values change without a write of the event, its seats and
//! its registration state (time passes), so they are placeholders in the fragment, put
//! in from the row as it is read.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, LazyLock};

use chrono::NaiveDateTime;
use parking_lot::Mutex;

use crate::domain::event::RegistrationFacts;
use crate::repo::events::{EventRow, PublicFacts};

/// Events whose fragments are kept; past it the store starts again (a crawl of old
/// events cannot grow it without bound).
const MAX_FRAGMENTS: usize = 4096;

/// Stand-ins for the two live values; a control character, which every text input
/// refuses, so no event's own text can contain one.
const SEATS: &str = "\u{1}seats_remaining";
const STATE: &str = "\u{1}registration_state";

/// How the stand-ins read in serialized JSON (quoted, the control character escaped).
static SEATS_SLOT: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(SEATS).unwrap_or_default());
static STATE_SLOT: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(STATE).unwrap_or_default());

/// One event's JSON cut around its live values: `head` SEATS `middle` STATE `tail`.
struct Fragment {
    version: (NaiveDateTime, i32),
    head: Box<str>,
    middle: Box<str>,
    tail: Box<str>,
}

/// The fragments of one app (its links name its public address).
#[derive(Clone, Default)]
pub struct EventFragments {
    kept: Arc<Mutex<HashMap<i64, Arc<Fragment>>>>,
}

impl EventFragments {
    /// The ids among `facts` without a fragment of their current version.
    pub fn missing(&self, facts: &[PublicFacts]) -> Vec<i64> {
        let kept = self.kept.lock();
        facts
            .iter()
            .filter(|f| {
                kept.get(&f.id.get())
                    .is_none_or(|fragment| fragment.version != f.version())
            })
            .map(|f| f.id.get())
            .collect()
    }

    /// Renders (`to_json`: the event's public JSON) and keeps the fragment of each row.
    pub fn render(
        &self,
        rows: Vec<EventRow>,
        to_json: impl Fn(EventRow) -> Option<serde_json::Value>,
    ) {
        let rendered: Vec<(i64, Arc<Fragment>)> = rows
            .into_iter()
            .filter_map(|row| Some((row.id.get(), Arc::new(fragment(row, &to_json)?))))
            .collect();
        let mut kept = self.kept.lock();
        if kept.len() + rendered.len() > MAX_FRAGMENTS {
            kept.clear();
        }
        kept.extend(rendered);
    }

    /// Appends the event's JSON as of `now` to `out`; false when it has no fragment.
    pub fn write(&self, facts: &PublicFacts, now: NaiveDateTime, out: &mut String) -> bool {
        let Some(fragment) = self.kept.lock().get(&facts.id.get()).cloned() else {
            return false;
        };
        let live = facts.registration();
        out.push_str(&fragment.head);
        match live.seats_remaining() {
            Some(seats) => {
                let _ = write!(out, "{seats}");
            }
            None => out.push_str("null"),
        }
        out.push_str(&fragment.middle);
        out.push('"');
        out.push_str(live.state(now).as_str());
        out.push('"');
        out.push_str(&fragment.tail);
        true
    }
}

/// The event's JSON with its live values as stand-ins, cut around them.
fn fragment(
    row: EventRow,
    to_json: impl Fn(EventRow) -> Option<serde_json::Value>,
) -> Option<Fragment> {
    let version = (row.updated_at, row.sequence);
    let mut json = to_json(row)?;
    json["seats_remaining"] = SEATS.into();
    json["registration"]["state"] = STATE.into();
    let text = json.to_string();
    let (head, rest) = text.split_once(SEATS_SLOT.as_str())?;
    let (middle, tail) = rest.split_once(STATE_SLOT.as_str())?;
    Some(Fragment {
        version,
        head: head.into(),
        middle: middle.into(),
        tail: tail.into(),
    })
}

impl PublicFacts {
    fn registration(&self) -> RegistrationFacts {
        RegistrationFacts {
            required: self.registration_required,
            cancelled: self.status == crate::domain::event::EventStatus::Cancelled,
            starts_at: self.starts_at,
            opens_at: self.registration_opens_at,
            closes_at: self.registration_closes_at,
            capacity: self.capacity,
            seats_taken: self.seats_taken,
        }
    }
}
