//! Enums stored as TEXT: written as their name, and read back only if the name is one
//! of theirs. Bad data in a row is an error (a logged 500), never a silent default.

/// Defines an enum stored as TEXT: its stored names, `as_str`, `FromStr`, serde in
/// snake case, its schema, and diesel `ToSql`/`FromSql` on `Text` for every backend.
#[macro_export]
macro_rules! stored_as_text {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        #[derive(diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, String> {
                match value {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("`{other}` is not a stored {}", stringify!($name))),
                }
            }
        }

        $crate::text_column!($name);
    };
}

/// Diesel `FromSql` (through `FromStr`, failing on text that does not parse) and
/// `ToSql` (through `as_str`) on `Text`, for every backend.
#[macro_export]
macro_rules! text_column {
    ($name:ident) => {
        $crate::sql_column!($name: Text,
            reads String as |bytes| $crate::domain::stored_text::from_text::<Self, DB>(bytes),
            writes str as |value| value.as_str());
    };
}

/// A type's diesel `FromSql` and `ToSql` on one SQL type, for every backend: it reads
/// through the `reads` type's own `FromSql` and writes a borrowed `writes` value, so
/// that a TEXT column and an integer one differ only in those two steps.
#[macro_export]
macro_rules! sql_column {
    ($name:ident: $sql:ident,
     reads $read:ty as |$bytes:ident| $from:expr,
     writes $written:ty as |$value:ident| $to:expr) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::$sql, DB> for $name
        where
            DB: diesel::backend::Backend,
            $read: diesel::deserialize::FromSql<diesel::sql_types::$sql, DB>,
        {
            fn from_sql($bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                $from
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::$sql, DB> for $name
        where
            DB: diesel::backend::Backend,
            $written: diesel::serialize::ToSql<diesel::sql_types::$sql, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                let $value = self;
                <$written as diesel::serialize::ToSql<diesel::sql_types::$sql, DB>>::to_sql(
                    $to, out,
                )
            }
        }
    };
}

/// Reads TEXT and parses it: text that does not parse is an error, never a default.
pub fn from_text<T, DB>(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<T>
where
    T: std::str::FromStr,
    T::Err: Into<Box<dyn std::error::Error + Send + Sync>>,
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    let text =
        <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
    text.parse::<T>().map_err(Into::into)
}

/// A JSON value stored as TEXT (a list of tags, a bulletin's sections), read back
/// strictly: text that is not the expected JSON is an error, not an empty value.
#[derive(Debug, Clone, PartialEq, diesel::FromSqlRow)]
pub struct Json<T>(pub T);

impl<T, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Json<T>
where
    T: serde::de::DeserializeOwned,
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text =
            <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)?;
        Ok(Self(serde_json::from_str(&text)?))
    }
}
