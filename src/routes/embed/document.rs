//! The listing for borough websites: an HTML document for an iframe, and a script that
//! renders the same listing into a host page. Both share one stylesheet.

use std::sync::LazyLock;

use askama::Template;

use super::listing::EmbedEvent;

pub const STYLESHEET: &str = include_str!("events.css");

/// The script with the stylesheet built in, so a host page loads one file.
pub static SCRIPT: LazyLock<String> = LazyLock::new(|| {
    let css = serde_json::to_string(STYLESHEET).unwrap_or_else(|_| "\"\"".into());
    include_str!("events.js").replace("__LLCP_CSS__", &css)
});

/// The iframe document may load only its stylesheet, and may be framed by any site.
pub const DOCUMENT_CSP: &str =
    "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'";

#[derive(Template)]
#[template(path = "embed/events.html")]
pub struct EventsDocument<'a> {
    pub heading: &'a str,
    pub stylesheet: String,
    pub events: Vec<EmbedEvent>,
}
