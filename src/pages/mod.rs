//! The pages people reach from emails and embedded listings: register for an event,
//! see or cancel a registration, confirm a registration's or an account's email, reset a
//! password. All are static and talk to the public API.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use askama::Template;

const MANAGE_JS: &str = include_str!("manage.js");
const REGISTER_JS: &str = include_str!("register.js");
const PAGES_CSS: &str = include_str!("pages.css");
const ACCOUNT_JS: &str = include_str!("account.js");

/// The page a registration email links to: see or cancel the registration.
#[derive(Template)]
#[template(path = "pages/manage.html")]
struct ManagePage;

/// The page a held registration's confirmation link opens: it posts the link's token.
#[derive(Template)]
#[template(path = "pages/confirm-registration.html")]
struct ConfirmRegistrationPage;

/// The registration form of an event.
#[derive(Template)]
#[template(path = "pages/register.html")]
struct RegisterPage;

/// The page a verification link opens: it posts the link's token.
#[derive(Template)]
#[template(path = "pages/verify-email.html")]
struct VerifyEmailPage;

/// The page a reset link opens, and where a forgotten password is asked about.
#[derive(Template)]
#[template(path = "pages/reset-password.html")]
struct ResetPasswordPage;

/// The pages extend `templates/document.html` (the head every HTML document of the
/// service shares) and are rendered once: they hold no data.
static MANAGE_HTML: LazyLock<String> = LazyLock::new(|| rendered(&ManagePage));
static REGISTER_HTML: LazyLock<String> = LazyLock::new(|| rendered(&RegisterPage));
static CONFIRM_REGISTRATION_HTML: LazyLock<String> =
    LazyLock::new(|| rendered(&ConfirmRegistrationPage));
static VERIFY_EMAIL_HTML: LazyLock<String> = LazyLock::new(|| rendered(&VerifyEmailPage));
static RESET_PASSWORD_HTML: LazyLock<String> = LazyLock::new(|| rendered(&ResetPasswordPage));

fn rendered(page: &impl Template) -> String {
    page.render().unwrap_or_else(|e| {
        log::error!("rendering a page: {e}");
        String::new()
    })
}

/// The human registration page of an event (the API's `links.register` is for
/// programs: it takes a POST).
pub fn register_page_path(slug: &str) -> String {
    format!("/events/{slug}/register")
}

/// Strict: a page runs only its own script and styles, and talks only to this service.
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/docs", web::get().to(docs_redirect))
        .route("/registrations/{id}/manage", web::get().to(manage_page))
        .route(
            "/registrations/{id}/confirm",
            web::get().to(|| async { page(&CONFIRM_REGISTRATION_HTML) }),
        )
        .route("/events/{slug}/register", web::get().to(register_page))
        .route(
            crate::notify::VERIFY_EMAIL_PAGE,
            web::get().to(|| async { page(&VERIFY_EMAIL_HTML) }),
        )
        .route(
            crate::notify::RESET_PASSWORD_PAGE,
            web::get().to(|| async { page(&RESET_PASSWORD_HTML) }),
        )
        .route(
            "/assets/account.js",
            web::get().to(|| async { asset("text/javascript; charset=utf-8", ACCOUNT_JS) }),
        )
        .route("/assets/manage.js", web::get().to(manage_script))
        .route("/assets/register.js", web::get().to(register_script))
        .route("/assets/pages.css", web::get().to(stylesheet));
}

/// Swagger UI lives under `/docs/`; the bare path is what people type.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}

fn page(html: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("Cache-Control", "no-store"))
        .body(html)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

async fn manage_page() -> HttpResponse {
    page(&MANAGE_HTML)
}

/// The registration form that embedded listings link to; the script reads the slug
/// from the path and asks the API about the event.
async fn register_page() -> HttpResponse {
    page(&REGISTER_HTML)
}

async fn manage_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", MANAGE_JS)
}

async fn register_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", REGISTER_JS)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", PAGES_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_pages_have_the_shared_head_and_their_own_title_and_script() {
        for (html, title, script) in [
            (MANAGE_HTML.as_str(), "Your registration", "manage.js"),
            (
                REGISTER_HTML.as_str(),
                "Register for an event",
                "register.js",
            ),
        ] {
            assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">\n<head>\n"));
            assert!(html.contains(&format!(
                "<title>{title} – London Library Change Programme</title>"
            )));
            assert!(html.contains(&format!(
                "</main>\n<script src=\"/assets/{script}\"></script>\n</body>\n</html>"
            )));
        }
    }
}
