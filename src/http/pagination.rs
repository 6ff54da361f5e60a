//! `limit`/`offset` paging: the list envelope and RFC 8288 `Link` header.

use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// Far past any real list; it keeps `offset + limit` and the database's OFFSET sane.
pub const MAX_OFFSET: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, maximum = 1_000_000_000, default = 0)]
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    /// A page from a query's `limit` and `offset`, checked (400 when out of range).
    pub fn of(limit: Option<i64>, offset: Option<i64>) -> Result<Self, ApiError> {
        PageParams { limit, offset }.page()
    }
}

impl PageParams {
    pub fn page(self) -> Result<Page, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "Query parameter `limit` must be from 1 to {MAX_LIMIT}."
            )));
        }
        let offset = self.offset.unwrap_or(0);
        if !(0..=MAX_OFFSET).contains(&offset) {
            return Err(ApiError::BadRequest(format!(
                "Query parameter `offset` must be from 0 to {MAX_OFFSET}."
            )));
        }
        Ok(Page { limit, offset })
    }
}

/// Defines a named list envelope, so generated clients get a type per list.
#[macro_export]
macro_rules! list_envelope {
    ($name:ident, $item:ty) => {
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Items matching the filters, over all pages.
            pub total: i64,
            pub limit: i64,
            pub offset: i64,
        }
    };
}

/// 200 with the envelope and a `Link` header for the neighbouring pages.
pub fn list_response<T: Serialize>(
    req: &HttpRequest,
    page: Page,
    total: i64,
    body: &T,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    let mut links = Vec::new();
    let next = page.offset.saturating_add(page.limit);
    if next < total {
        links.push(format!(
            "<{}>; rel=\"next\"",
            page_url(req, page.limit, next)
        ));
    }
    if page.offset > 0 {
        let prev = (page.offset - page.limit).max(0);
        links.push(format!(
            "<{}>; rel=\"prev\"",
            page_url(req, page.limit, prev)
        ));
    }
    if !links.is_empty() {
        response.insert_header(("Link", links.join(", ")));
    }
    response.json(body)
}

/// The request's own path and query with `limit` and `offset` replaced.
fn page_url(req: &HttpRequest, limit: i64, offset: i64) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "limit" && k != "offset");
    pairs.push(("limit".into(), limit.to_string()));
    pairs.push(("offset".into(), offset.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", req.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        for bad in [0, -1, 101] {
            let params = PageParams {
                limit: Some(bad),
                offset: None,
            };
            assert!(params.page().is_err());
        }
        let page = PageParams::default().page().unwrap();
        assert_eq!((page.limit, page.offset), (20, 0));
        assert!(
            PageParams {
                limit: None,
                offset: Some(-5)
            }
            .page()
            .is_err()
        );
    }

    #[test]
    fn offsets_past_a_billion_are_refused_so_sums_cannot_overflow() {
        let at = |offset| PageParams {
            limit: Some(MAX_LIMIT),
            offset: Some(offset),
        };
        assert!(at(MAX_OFFSET).page().is_ok());
        assert!(at(MAX_OFFSET + 1).page().is_err());
        assert!(at(i64::MAX).page().is_err());
    }
}
