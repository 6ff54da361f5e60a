//! Published bulletins, as JSON and as an Atom feed.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::DbConnection;
use crate::domain::Email;
use crate::domain::ids::EventId;
use crate::domain::time::{Rfc3339, shown_utc};
use crate::error::{ApiError, FieldError};
use crate::feeds::atom;
use crate::http::extract::Query;
use crate::http::pagination::{Page, PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::bulletins::{self, BulletinRow, BulletinValues};
use crate::state::AppState;

pub use crate::domain::bulletin::{Contact, Section};

#[derive(Debug, Serialize, ToSchema)]
pub struct BulletinLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub atom: String,
}

/// A numbered bulletin of the programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bulletin {
    pub id: i64,
    #[schema(example = 14)]
    pub number: i32,
    pub title: String,
    #[schema(example = "Phase 3: Making Transformational Change Happen")]
    pub phase: Option<String>,
    /// The issue date printed on the bulletin.
    #[schema(example = "2011-03-14", format = Date)]
    pub published_on: String,
    pub summary: Option<String>,
    pub sections: Vec<Section>,
    pub contacts: Vec<Contact>,
    /// Published events that belong to this bulletin.
    pub event_ids: Vec<i64>,
    pub links: BulletinLinks,
    /// `null` while a draft (visible to admins only).
    pub published_at: Option<Rfc3339>,
    pub updated_at: Rfc3339,
}

list_envelope!(BulletinList, Bulletin);

impl Bulletin {
    pub fn new(row: BulletinRow, event_ids: Vec<EventId>, state: &AppState) -> Self {
        Self {
            id: row.id,
            number: row.number,
            links: BulletinLinks {
                self_: state.url(&format!("/api/v1/bulletins/{}", row.number)),
                atom: state.url("/api/v1/bulletins.atom"),
            },
            sections: row.sections.0,
            contacts: row.contacts.0,
            event_ids: event_ids.into_iter().map(EventId::get).collect(),
            title: row.title,
            phase: row.phase,
            published_on: row.published_on,
            summary: row.summary,
            published_at: row.published_at.map(shown_utc),
            updated_at: shown_utc(row.updated_at),
        }
    }

    pub fn load(
        conn: &mut DbConnection,
        row: BulletinRow,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let ids = bulletins::event_ids(conn, row.number)?;
        Ok(Self::new(row, ids, state))
    }
}

/// A bulletin as admins write it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletinInput {
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000, example = 14)]
    pub number: i32,
    #[validate(length(min = 3, max = 200))]
    #[schema(min_length = 3, max_length = 200)]
    pub title: String,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub phase: Option<String>,
    #[schema(example = "2011-03-14", format = Date)]
    pub published_on: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub summary: Option<String>,
    #[serde(default)]
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub sections: Vec<Section>,
    #[serde(default)]
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub contacts: Vec<Contact>,
}

/// A partial edit (JSON merge patch): send only what changes; `null` clears `phase`,
/// `summary`, `sections` or `contacts`. The result must still be a valid bulletin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BulletinPatch {
    #[schema(value_type = i32, required = false, minimum = 1, maximum = 100000, example = 14)]
    pub number: Option<i32>,
    #[schema(value_type = String, required = false, min_length = 3, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 200)]
    pub phase: Option<String>,
    #[schema(value_type = String, required = false, format = Date, example = "2011-03-14")]
    pub published_on: Option<String>,
    #[schema(max_length = 2000)]
    pub summary: Option<String>,
    #[schema(max_items = 50)]
    pub sections: Option<Vec<Section>>,
    #[schema(max_items = 20)]
    pub contacts: Option<Vec<Contact>>,
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl BulletinInput {
    pub fn from_row(row: &BulletinRow) -> Self {
        Self {
            number: row.number,
            title: row.title.clone(),
            phase: row.phase.clone(),
            published_on: row.published_on.clone(),
            summary: row.summary.clone(),
            sections: row.sections.0.clone(),
            contacts: row.contacts.0.clone(),
        }
    }

    pub fn into_values(self, now: chrono::NaiveDateTime) -> Result<BulletinValues, ApiError> {
        let mut errors = crate::http::validation::errors_of(&self);
        if self.title.trim().chars().count() < 3 && !errors.iter().any(|e| e.field == "title") {
            errors.push(FieldError::new("title", "must be 3 to 200 characters"));
        }
        match NaiveDate::parse_from_str(&self.published_on, "%Y-%m-%d") {
            Ok(date) => {
                if let Err(m) = crate::domain::time::check_year(chrono::Datelike::year(&date)) {
                    errors.push(FieldError::new("published_on", m));
                }
            }
            Err(_) => errors.push(FieldError::new(
                "published_on",
                "must be a date like 2011-03-14",
            )),
        }
        // Stored trimmed, so text of spaces alone would be stored empty.
        for (i, section) in self.sections.iter().enumerate() {
            if !section.heading.is_empty() && section.heading.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("sections[{i}].heading"),
                    "must not be blank",
                ));
            }
        }
        for (i, contact) in self.contacts.iter().enumerate() {
            if !contact.name.is_empty() && contact.name.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("contacts[{i}].name"),
                    "must not be blank",
                ));
            }
            if let Some(email) = &contact.email
                && Email::parse(email).is_err()
            {
                errors.push(FieldError::new(
                    format!("contacts[{i}].email"),
                    "must be a valid email address",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let sections: Vec<Section> = self
            .sections
            .into_iter()
            .map(|s| Section {
                heading: s.heading.trim().to_string(),
                body: s.body,
            })
            .collect();
        let contacts: Vec<Contact> = self
            .contacts
            .into_iter()
            .map(|c| Contact {
                name: c.name.trim().to_string(),
                role: trimmed(&c.role),
                organisation: trimmed(&c.organisation),
                email: trimmed(&c.email),
                phone: trimmed(&c.phone),
            })
            .collect();
        Ok(BulletinValues {
            number: self.number,
            title: self.title.trim().to_string(),
            phase: trimmed(&self.phase),
            published_on: self.published_on,
            summary: trimmed(&self.summary),
            sections: serde_json::to_string(&sections).unwrap_or_else(|_| "[]".into()),
            contacts: serde_json::to_string(&contacts).unwrap_or_else(|_| "[]".into()),
            updated_at: now,
        })
    }
}

/// A page of bulletins (drafts too unless `published_only`), newest first.
pub async fn bulletin_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    paging: &PageParams,
    published_only: bool,
) -> Result<HttpResponse, ApiError> {
    let page = paging.page()?;
    let shared = state.clone();
    let (items, total) = state
        .run(move |conn| {
            let (rows, total) = bulletins::list(conn, published_only, page)?;
            let items = rows
                .into_iter()
                .map(|row| Bulletin::load(conn, row, &shared))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, total))
        })
        .await?;
    let body = BulletinList::new(items, total, page);
    Ok(list_response(req, &body))
}

/// List published bulletins
///
/// Published bulletins, newest first.
#[utoipa::path(
    operation_id = "list_bulletins",
    tag = "bulletins",
    params(PageParams),
    responses(
        (status = 200, body = BulletinList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/bulletins")]
pub async fn list_bulletins(
    req: HttpRequest,
    state: web::Data<AppState>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    bulletin_page(&req, &state, &paging, true).await
}

/// Get a published bulletin
///
/// One published bulletin, by its number.
#[utoipa::path(
    operation_id = "get_bulletin",
    tag = "bulletins",
    params(("number" = i32, Path, description = "The bulletin's number, e.g. 14")),
    responses(
        (status = 200, body = Bulletin),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/bulletins/{number}")]
pub async fn get_bulletin(
    state: web::Data<AppState>,
    path: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let number = path.into_inner();
    let shared = state.clone();
    let bulletin = state
        .run(move |conn| match bulletins::find_by_number(conn, number)? {
            Some(row) if row.is_published() => Bulletin::load(conn, row, &shared).map(Some),
            _ => Ok(None),
        })
        .await?
        .ok_or_else(|| ApiError::NotFound("No published bulletin has this number.".into()))?;
    Ok(HttpResponse::Ok().json(bulletin))
}

/// Get the bulletins Atom feed
///
/// Published bulletins as an Atom 1.0 feed, newest first, with sanitised HTML content.
#[utoipa::path(
    operation_id = "get_bulletins_feed",
    tag = "bulletins",
    responses((status = 200, description = "An Atom feed", body = String, content_type = "application/atom+xml"))
)]
#[get("/bulletins.atom")]
pub async fn bulletins_atom(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (rows, _) = state
        .run(|conn| {
            bulletins::list(
                conn,
                true,
                Page {
                    limit: 50,
                    offset: 0,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(atom::CONTENT_TYPE)
        .body(atom::feed(&rows, &state.links)))
}
