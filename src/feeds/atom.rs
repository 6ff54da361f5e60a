//! The bulletins as an Atom 1.0 feed (RFC 4287), built with `atom_syndication`.

use atom_syndication::{Content, Entry, Feed, Link, Person, Text};
use chrono::{FixedOffset, TimeZone, Utc};

use crate::feeds::markdown::to_safe_html;
use crate::notify::Links;
use crate::repo::bulletins::BulletinRow;

pub const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

fn time(value: chrono::NaiveDateTime) -> chrono::DateTime<FixedOffset> {
    Utc.from_utc_datetime(&value).fixed_offset()
}

fn link(href: String, rel: &str, mime: &str) -> Link {
    let mut link = Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link.set_mime_type(Some(mime.to_string()));
    link
}

fn entry(row: &BulletinRow, links: &Links) -> Entry {
    let url = links.url(&format!("/api/v1/bulletins/{}", row.number));
    let sections = &row.sections.0;
    let mut html = String::new();
    if let Some(summary) = &row.summary {
        html.push_str(&to_safe_html(summary));
    }
    for section in sections {
        html.push_str(&format!(
            "<h2>{}</h2>",
            ammonia::clean_text(&section.heading)
        ));
        html.push_str(&to_safe_html(&section.body));
    }
    let mut content = Content::default();
    content.set_content_type(Some("html".to_string()));
    content.set_value(Some(html));
    let mut entry = Entry::default();
    entry.set_id(url.clone());
    entry.set_title(Text::plain(format!(
        "Bulletin no.{}: {}",
        row.number, row.title
    )));
    entry.set_updated(time(row.updated_at));
    entry.set_published(row.published_at.map(time));
    entry.set_links(vec![link(url, "alternate", "application/json")]);
    if let Some(summary) = &row.summary {
        entry.set_summary(Some(Text::plain(summary.clone())));
    }
    entry.set_content(Some(content));
    entry
}

/// The feed; `updated` is the newest change among its entries, so an unchanged set of
/// bulletins serialises to the same bytes.
pub fn feed(rows: &[BulletinRow], links: &Links) -> String {
    let self_url = links.url("/api/v1/bulletins.atom");
    let updated = rows
        .iter()
        .map(|r| r.updated_at)
        .max()
        .map(time)
        .unwrap_or_else(|| time(chrono::NaiveDateTime::default()));
    let mut author = Person::default();
    author.set_name("London Library Change Programme");
    let mut feed = Feed::default();
    feed.set_id(self_url.clone());
    feed.set_title(Text::plain("London Library Change Programme bulletins"));
    feed.set_updated(updated);
    feed.set_authors(vec![author]);
    feed.set_links(vec![
        link(self_url, "self", "application/atom+xml"),
        link(
            links.url("/api/v1/bulletins"),
            "alternate",
            "application/json",
        ),
    ]);
    feed.set_entries(rows.iter().map(|row| entry(row, links)).collect::<Vec<_>>());
    feed.to_string()
}
