use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::borough::BOROUGHS;

#[derive(Debug, Serialize, ToSchema)]
pub struct BoroughList {
    /// The 32 London boroughs and the City of London, alphabetically.
    #[schema(example = json!(["Barking and Dagenham", "Barnet"]))]
    pub items: Vec<&'static str>,
}

/// List London boroughs
///
/// London's 33 local authorities, for forms.
#[utoipa::path(operation_id = "list_boroughs", tag = "reference", responses((status = 200, body = BoroughList)))]
#[get("/boroughs")]
pub async fn list_boroughs() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .json(BoroughList {
            items: BOROUGHS.to_vec(),
        })
}
