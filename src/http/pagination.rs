//! `limit`/`offset` paging for every list: the query parameters, a named envelope per
//! list, and the RFC 8288 `Link` header for the neighbouring pages.

use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

pub use crate::domain::page::Page;
use crate::error::ApiError;

/// The paging parameters of a list, beside its own filters.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    #[param(minimum = 0, maximum = 1_000_000_000, default = 0)]
    pub offset: Option<i64>,
}

impl PageParams {
    /// The page asked for (400 when out of range).
    pub fn page(&self) -> Result<Page, ApiError> {
        Page::new(self.limit, self.offset)
    }
}

/// What the `Link` header needs from a list envelope.
pub trait Envelope: Serialize {
    fn page(&self) -> Page;
    fn total(&self) -> i64;
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

        impl $name {
            pub fn new(
                items: Vec<$item>,
                total: i64,
                page: $crate::http::pagination::Page,
            ) -> Self {
                Self {
                    items,
                    total,
                    limit: page.limit,
                    offset: page.offset,
                }
            }
        }

        impl $crate::http::pagination::Envelope for $name {
            fn page(&self) -> $crate::http::pagination::Page {
                $crate::http::pagination::Page {
                    limit: self.limit,
                    offset: self.offset,
                }
            }

            fn total(&self) -> i64 {
                self.total
            }
        }
    };
}

/// 200 with the envelope and a `Link` header for the neighbouring pages.
pub fn list_response(req: &HttpRequest, body: &impl Envelope) -> HttpResponse {
    let (page, total) = (body.page(), body.total());
    page_links(req, page, total).json(body)
}

/// `list_response` for an envelope already serialized.
pub fn list_response_of(req: &HttpRequest, page: Page, total: i64, json: String) -> HttpResponse {
    page_links(req, page, total)
        .content_type("application/json")
        .body(json)
}

/// A 200 with the `Link` header of the pages next to this one.
fn page_links(req: &HttpRequest, page: Page, total: i64) -> actix_web::HttpResponseBuilder {
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
    response
}

/// The request's own path and query with `limit` and `offset` replaced.
fn page_url(req: &HttpRequest, limit: i64, offset: i64) -> String {
    // The query string already parsed for the handler, so it parses here too.
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "limit" && k != "offset");
    pairs.push(("limit".into(), limit.to_string()));
    pairs.push(("offset".into(), offset.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", req.path())
}
