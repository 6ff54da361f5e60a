use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// What an account may do. A plain comment: a doc comment would enter the contract.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
}

crate::stored_as_text!(Role {
    Member => "member",
    Admin => "admin",
});
