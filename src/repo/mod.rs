//! Diesel queries, one module per resource, over the shared connection type.

pub mod account_tokens;
pub mod accounts;
pub mod audit;
pub mod bulletins;
pub mod events;
pub mod membership;
pub mod notifications;
pub mod personal_data;
pub mod refresh_tokens;
pub mod registrations;
pub mod throttle_hits;

use diesel::dsl::{Limit, Offset};
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::{LimitDsl, OffsetDsl};

use crate::db::DbConnection;
use crate::domain::page::Page;
use crate::error::ApiError;

/// One page of a list and its total over all pages. `rows` is the whole list in order
/// (the page's limit and offset are applied here); `count` makes the query counting it,
/// run only when the page does not already show the total, so most short lists are one
/// query.
pub fn paged<Q, C, T>(
    conn: &mut DbConnection,
    page: Page,
    rows: Q,
    count: impl FnOnce() -> C,
) -> Result<(Vec<T>, i64), ApiError>
where
    Q: LimitDsl,
    Limit<Q>: OffsetDsl,
    Offset<Limit<Q>>: for<'a> LoadQuery<'a, DbConnection, T>,
    C: for<'a> LoadQuery<'a, DbConnection, i64>,
{
    let items = rows.limit(page.limit).offset(page.offset).load(conn)?;
    let total = match page.known_total(items.len()) {
        Some(total) => total,
        None => count().get_result(conn)?,
    };
    Ok((items, total))
}

/// The first row of `query`, `None` when there is none. On PostgreSQL the row stays
/// locked (`FOR UPDATE`) until the transaction ends; on SQLite the immediate write
/// transaction already holds the database's write lock.
#[macro_export]
macro_rules! first_for_update {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg(pg) => $query.for_update().first(pg).optional(),
            $crate::db::DbConnection::Sqlite(sqlite) => $query.first(sqlite).optional(),
        }
    };
}

/// Escapes `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::like_escape(r"50%_off\"), r"50\%\_off\\");
    }
}
