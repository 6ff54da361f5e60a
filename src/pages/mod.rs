//! The one page people reach from their emails: see or cancel a registration.

use actix_web::{HttpResponse, web};

const MANAGE_HTML: &str = include_str!("manage.html");
const MANAGE_JS: &str = include_str!("manage.js");

/// Strict: the page runs only its own script and talks only to this service.
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/docs", web::get().to(docs_redirect))
        .route("/registrations/{id}/manage", web::get().to(manage_page))
        .route("/assets/manage.js", web::get().to(manage_script));
}

/// Swagger UI lives under `/docs/`; the bare path is what people type.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

async fn manage_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("Cache-Control", "no-store"))
        .body(MANAGE_HTML)
}

async fn manage_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(MANAGE_JS)
}
