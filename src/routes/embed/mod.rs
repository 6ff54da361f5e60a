//! What borough websites paste into their pages: the listing as an iframe document,
//! and a script (with its stylesheet) that renders the listing into a host element.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use crate::error::ApiError;
mod document;
mod listing;

use crate::http::extract::Query;
use crate::http::pagination::PageParams;
use crate::http::problem::Problem;
use crate::pages::register_page_path;
use crate::routes::events::{Event, EventQuery, published_upcoming};
use crate::state::AppState;
use document::{DOCUMENT_CSP, EventsDocument, SCRIPT, STYLESHEET};
use listing::EmbedEvent;

/// Get the embeddable listing document
///
/// The public listing as a small, accessible HTML document to show in an `iframe`:
/// London times, a register link per event, the same filters as `GET /api/v1/events`.
#[utoipa::path(
    operation_id = "get_embedded_events",
    tag = "embed",
    params(EventQuery, PageParams),
    responses(
        (status = 200, description = "An HTML document listing the events", body = String, content_type = "text/html"),
        (status = 400, description = "A malformed filter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn embed_events(
    state: web::Data<AppState>,
    query: Query<EventQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let events = published_upcoming(&state, &query, paging.page()?)
        .await?
        .into_iter()
        .map(|row| {
            let event = Event::from_row(row, &state);
            EmbedEvent::new(&event, state.url(&register_page_path(&event.slug)))
        })
        .collect();
    let html = EventsDocument {
        heading: "Upcoming events",
        stylesheet: "/embed/events.css".into(),
        events,
    }
    .render()
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("rendering the embed: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", DOCUMENT_CSP))
        .body(html))
}

/// Get the embed script
///
/// A dependency-free script for host pages: it renders the listing into every
/// `<div data-llcp-events>` (filters as `data-kind`, `data-audience`, `data-from`,
/// `data-to`, `data-q`, `data-limit`), themable with `--llcp-*` CSS custom properties.
/// It sends no cookies and needs no inline script or style.
#[utoipa::path(
    operation_id = "get_embed_script",
    tag = "embed",
    responses(
        (status = 200, description = "The embed script", body = String, content_type = "text/javascript"),
    )
)]
#[get("/events.js")]
pub async fn embed_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(SCRIPT.as_str())
}

/// Get the embed stylesheet
///
/// The stylesheet of the iframe document (the script carries its own copy).
#[utoipa::path(
    operation_id = "get_embed_stylesheet",
    tag = "embed",
    responses(
        (status = 200, description = "The embed stylesheet", body = String, content_type = "text/css"),
    )
)]
#[get("/events.css")]
pub async fn embed_stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(STYLESHEET)
}
