//! A page of a list: `limit` items after `offset`, both checked.

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// Far past any real list; it keeps `offset + limit` and the database's OFFSET sane.
pub const MAX_OFFSET: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    /// A page from a query's `limit` and `offset` (400 when out of range).
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "Query parameter `limit` must be from 1 to {MAX_LIMIT}."
            )));
        }
        let offset = offset.unwrap_or(0);
        if !(0..=MAX_OFFSET).contains(&offset) {
            return Err(ApiError::BadRequest(format!(
                "Query parameter `offset` must be from 0 to {MAX_OFFSET}."
            )));
        }
        Ok(Self { limit, offset })
    }

    /// The total, when this page's row count shows it without counting: a short page
    /// that holds rows, or a short first page, ends the list.
    pub fn known_total(&self, rows: usize) -> Option<i64> {
        let rows = i64::try_from(rows).ok()?;
        (rows < self.limit && (rows > 0 || self.offset == 0)).then(|| self.offset + rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        for bad in [0, -1, 101] {
            assert!(Page::new(Some(bad), None).is_err(), "limit {bad}");
        }
        assert_eq!(
            Page::new(None, None).unwrap(),
            Page {
                limit: 20,
                offset: 0
            }
        );
        assert!(Page::new(None, Some(-5)).is_err());
    }

    #[test]
    fn offsets_past_a_billion_are_refused_so_sums_cannot_overflow() {
        assert!(Page::new(Some(MAX_LIMIT), Some(MAX_OFFSET)).is_ok());
        assert!(Page::new(Some(MAX_LIMIT), Some(MAX_OFFSET + 1)).is_err());
        assert!(Page::new(Some(MAX_LIMIT), Some(i64::MAX)).is_err());
    }

    #[test]
    fn a_short_page_tells_the_total_and_a_full_or_empty_later_one_does_not() {
        let first = Page::new(Some(10), None).unwrap();
        assert_eq!(first.known_total(3), Some(3));
        assert_eq!(first.known_total(0), Some(0));
        assert_eq!(first.known_total(10), None);
        let later = Page::new(Some(10), Some(30)).unwrap();
        assert_eq!(later.known_total(4), Some(34));
        assert_eq!(later.known_total(0), None);
    }
}
